"""Drawing samples: cases for case file audits and dip samples, returns for a deep dive.

Every draw is seeded and recorded (method, seed, size, rule and what was chosen), so the
partnership can show how a sample was chosen and draw the same one again. A seed is made
when none is given, and recorded like any other.
"""

from __future__ import annotations

import json
import math
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, exists, insert, select, update

from states.errors import InvalidInput, NotFound
from states.persistence import tables as t
from states.persistence.store import Actor, AuditRow
from states.persistence.uow import UnitOfWork
from states.rules.case_list import CaseCandidate
from states.rules.policy import Permission
from states.services.deps import Deps
from states.services.work import (
    check_case_reference,
    insert_cases,
    write_to_audit,
)

__all__ = [
    "CaseCandidate",  # defined with the rules of a cases list, found here by callers
    "Draw",
    "Method",
    "choose",
    "deep_dive_setting",
    "record_feedback",
    "select_deep_dive",
    "select_sample",
]

Method = Literal["list", "random", "random_per_agency"]


@dataclass(frozen=True)
class Draw:
    method: str
    seed: int | None
    size: int | None
    chosen: list[str] = field(default_factory=list)


def choose(
    candidates: Sequence[CaseCandidate], method: Method, size: int | None, seed: int
) -> list[CaseCandidate]:
    """The draw itself: deterministic for a given pool, method, size and seed."""
    pool = sorted({c.reference: c for c in candidates}.values(), key=lambda c: c.reference)
    if method == "list":
        return pool
    if size is None or size < 1:
        raise InvalidInput("Say how many cases to draw (a whole number above 0).")
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling, not security
    if method == "random":
        return rng.sample(pool, min(size, len(pool)))
    chosen: dict[str, CaseCandidate] = {}
    for agency in sorted({a for c in pool for a in c.agencies}):
        eligible = [c for c in pool if agency in c.agencies and c.reference not in chosen]
        for case in rng.sample(eligible, min(size, len(eligible))):
            chosen[case.reference] = case
    return sorted(chosen.values(), key=lambda c: c.reference)


def select_sample(
    deps: Deps,
    *,
    audit: str | int,
    actor: str | int,
    candidates: Sequence[CaseCandidate],
    method: Method,
    size: int | None = None,
    seed: int | None = None,
) -> Draw:
    """Draw cases into the audit's sample and record how."""
    for candidate in candidates:
        check_case_reference(candidate.reference)
    seed = secrets.randbelow(2**31) if seed is None else seed
    picked = choose(candidates, method, size, seed)

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> Draw:
        _refuse_cases_already_sampled(uow.connection, row, picked)
        insert_cases(uow.connection, row.id, picked)
        draw = Draw(method, None if method == "list" else seed, size, [c.reference for c in picked])
        _record(uow.connection, row, who, now, draw, rule=None)
        return draw

    return write_to_audit(deps, audit, actor, "select_sample", may=Permission.ORGANISE, work=work)


def _refuse_cases_already_sampled(
    connection: Connection, row: AuditRow, picked: Sequence[CaseCandidate]
) -> None:
    """Named, rather than left to the unique key, so the person knows which to take out."""
    sampled = set(
        connection.execute(select(t.case.c.reference).where(t.case.c.audit_id == row.id)).scalars()
    )
    again = sorted(sampled & {case.reference for case in picked})
    if again:
        shown = ", ".join(again[:5]) + (f" and {len(again) - 5} more" if len(again) > 5 else "")
        raise InvalidInput(
            f"Audit {row.reference} has already sampled {shown}; take them out of the list "
            "and draw again."
        )


def _record(
    connection: Connection,
    row: AuditRow,
    who: Actor,
    now: datetime,
    draw: Draw,
    *,
    rule: str | None,
) -> None:
    connection.execute(
        insert(t.sample),
        {
            "audit_id": row.id,
            "method": draw.method,
            "seed": draw.seed,
            "size": draw.size,
            "rule": rule,
            "selected": json.dumps(draw.chosen),
            "selected_at": now,
            "selected_by": who.id,
        },
    )


def _submitted_returns(connection: Connection, audit_id: int, rated: str) -> list[tuple[str, bool]]:
    """(agency code, any rating equal to ``rated``) for each agency with a submitted return."""
    flagged = exists().where(t.answer.c.return_id == t.audit_return.c.id, t.answer.c.value == rated)
    rows = connection.execute(
        select(t.agency.c.code, flagged)
        .join(t.audit_return, t.audit_return.c.agency_id == t.agency.c.id)
        .where(t.audit_return.c.audit_id == audit_id, t.audit_return.c.status == "submitted")
        .order_by(t.agency.c.code)
    )
    return [(code, bool(hit)) for code, hit in rows]


def select_deep_dive(
    deps: Deps,
    *,
    audit: str | int,
    actor: str | int,
    rated: str = "red",
    percent_of_rest: int = 10,
    seed: int | None = None,
) -> Draw:
    """Section 175: every return rated ``rated`` anywhere, plus a share of the rest at random."""
    if not 0 <= percent_of_rest <= 100:
        raise InvalidInput("The share of the other returns is a percentage from 0 to 100.")
    seed = secrets.randbelow(2**31) if seed is None else seed
    rule = f"every return rated {rated} plus {percent_of_rest}% of the rest"

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> Draw:
        returns = _submitted_returns(uow.connection, row.id, rated)
        if not returns:
            raise InvalidInput(f"Audit {row.reference} has no submitted returns to sample.")
        flagged = [code for code, hit in returns if hit]
        rest = [code for code, hit in returns if not hit]
        share = math.ceil(len(rest) * percent_of_rest / 100)
        chosen = sorted(flagged + random.Random(seed).sample(rest, share))  # noqa: S311
        uow.connection.execute(
            update(t.participation)
            .where(
                t.participation.c.audit_id == row.id,
                t.participation.c.agency_id.in_(
                    select(t.agency.c.id).where(t.agency.c.code.in_(chosen))
                ),
            )
            .values(deep_dive=True)
        )
        draw = Draw("deep_dive", seed, len(chosen), chosen)
        _record(uow.connection, row, who, now, draw, rule=rule)
        return draw

    return write_to_audit(
        deps, audit, actor, "select_deep_dive", may=Permission.ORGANISE, work=work
    )


def record_feedback(
    deps: Deps, *, audit: str | int, actor: str | int, agency: str, summary: str
) -> None:
    """Individual feedback to a setting sampled for the deep dive."""
    if not summary.strip():
        raise InvalidInput("Write the feedback to the setting.")

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> None:
        agency_id = deep_dive_setting(uow.connection, row.id, agency)
        uow.connection.execute(
            insert(t.feedback),
            {
                "audit_id": row.id,
                "agency_id": agency_id,
                "summary": summary,
                "recorded_by": who.id,
                "recorded_at": now,
            },
        )

    write_to_audit(deps, audit, actor, "record_feedback", may=Permission.ORGANISE, work=work)


def deep_dive_setting(connection: Connection, audit_id: int, code: str) -> int:
    """The id of a setting in the audit's deep-dive sample, or NotFound."""
    found = connection.execute(
        select(t.participation.c.agency_id)
        .join(t.agency, t.agency.c.id == t.participation.c.agency_id)
        .where(
            t.participation.c.audit_id == audit_id,
            t.agency.c.code == code,
            t.participation.c.deep_dive.is_(True),
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("deep-dive setting", code)
    return int(found)
