"""Drawing samples: cases for case file audits and dip samples (the deep dive's sample of
returns is drawn in ``states.services.deep_dive`` and recorded the same way).

Every draw is seeded and recorded (method, seed, size, rule and what was chosen), so the
partnership can show how a sample was chosen and draw the same one again. A seed is made
when none is given, and recorded like any other.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from sqlalchemy import Connection, delete, insert, select

from states.definitions.stage_names import Stage
from states.errors import InvalidInput, NotFound
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.rules.case_list import CaseCandidate
from states.rules.gates import in_case_window
from states.rules.policy import Permission
from states.services.audits import compiled_for
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
    "eligible",
    "record_draw",
    "remove_case",
    "replace_case",
    "select_sample",
]

Method = Literal["list", "random", "random_per_agency"]


@dataclass(frozen=True)
class Draw:
    method: str
    seed: int | None
    size: int | None
    chosen: list[str] = field(default_factory=list)
    # Offered cases a random draw passed over: no intervention in the declared window.
    ineligible: int = 0
    # Cases of the sample this draw replaced.
    replaced: int = 0


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


def eligible(
    candidates: Sequence[CaseCandidate], started_on: date, months: int | None
) -> list[CaseCandidate]:
    """The cases a random draw may take: with the type's window declared, only those with an
    intervention in it (the same rule the ``cases_within_window`` gate checks)."""
    if months is None:
        return list(candidates)
    return [c for c in candidates if in_case_window(c.last_intervention_on, started_on, months)]


def select_sample(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    candidates: Sequence[CaseCandidate],
    method: Method,
    size: int | None = None,
    seed: int | None = None,
    replace: bool = False,
    reason: str | None = None,
) -> Draw:
    """Draw cases into the audit's sample and record how. A random draw takes only eligible
    cases; a list is taken as given (the gate names any case outside the window).

    With ``replace`` the coordinator swaps the whole sample for this draw, before returns
    open, with a reason kept in the history: the cases, their agencies and auditors go."""
    for candidate in candidates:
        check_case_reference(candidate.reference)
    if replace and not (reason and reason.strip()):
        raise InvalidInput("Say why the sample is being replaced.")
    seed = secrets.randbelow(2**31) if seed is None else seed

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> Draw:
        months = compiled_for(deps, AuditStore(uow.connection), row).definition.case_window_months
        pool = candidates if method == "list" else eligible(candidates, row.started_on, months)
        if candidates and not pool:
            raise InvalidInput(
                f"None of the {len(candidates)} cases offered had an intervention in the "
                f"{months} months before audit {row.reference} started, so none can be drawn."
            )
        picked = choose(pool, method, size, seed)
        replaced = 0
        if replace:
            replaced = _drop_cases(deps, uow, row, _sampled_ids(uow.connection, row))
        _refuse_cases_already_sampled(uow.connection, row, picked)
        insert_cases(uow.connection, row.id, picked)
        chosen = [c.reference for c in picked]
        seeded = None if method == "list" else seed
        draw = Draw(method, seeded, size, chosen, len(candidates) - len(pool), replaced)
        record_draw(
            uow.connection, row, who, now, draw, rule="replaces the sample" if replace else None
        )
        return draw

    return write_to_audit(
        deps,
        audit,
        actor,
        "replace_sample" if replace else "select_sample",
        may=Permission.COORDINATE if replace else Permission.ORGANISE,
        work=work,
        reason=reason if replace else None,
    )


def remove_case(deps: Deps, *, audit: AuditKey, actor: PersonKey, case: str, reason: str) -> None:
    """The coordinator takes one case out of the sample before returns open, with a reason."""
    if not reason.strip():
        raise InvalidInput("Say why the case is being taken out of the sample.")

    def work(uow: UnitOfWork, row: AuditRow, _who: Actor, _now: datetime) -> None:
        found = _sampled_ids(uow.connection, row, case)
        if not found:
            raise NotFound("case", case)
        _drop_cases(deps, uow, row, found)

    write_to_audit(
        deps, audit, actor, "remove_case", may=Permission.COORDINATE, work=work, reason=reason
    )


def replace_case(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    case: str,
    new: CaseCandidate,
    reason: str,
) -> None:
    """The coordinator swaps one case of the sample for another before returns open, with a
    reason: one change, so the sample is never left a case short. The case going takes its
    agencies and auditors with it, as a removal does; the new case comes with its own."""
    check_case_reference(new.reference)
    if not reason.strip():
        raise InvalidInput("Say why the case is being replaced.")

    def work(uow: UnitOfWork, row: AuditRow, _who: Actor, _now: datetime) -> None:
        found = _sampled_ids(uow.connection, row, case)
        if not found:
            raise NotFound("case", case)
        _drop_cases(deps, uow, row, found)
        _refuse_cases_already_sampled(uow.connection, row, [new])
        insert_cases(uow.connection, row.id, [new])

    write_to_audit(
        deps,
        audit,
        actor,
        "replace_case",
        may=Permission.COORDINATE,
        work=work,
        reason=f"{case} replaced by {new.reference}: {reason.strip()}",
    )


def _sampled_ids(connection: Connection, row: AuditRow, reference: str | None = None) -> list[int]:
    query = select(t.case.c.id).where(t.case.c.audit_id == row.id)
    if reference is not None:
        query = query.where(t.case.c.reference == reference)
    return [int(i) for i in connection.execute(query).scalars()]


def _drop_cases(deps: Deps, uow: UnitOfWork, row: AuditRow, case_ids: list[int]) -> int:
    """Take cases out of a sample still being planned (nothing has been returned on them):
    their agencies and auditor assignments go with them. Declarations of involvement stay:
    they are about the case, whichever audit samples it."""
    c = uow.connection
    state = compiled_for(deps, AuditStore(c), row).definition.state(row.state)
    if state.stage != Stage.PLANNING:
        raise InvalidInput(
            f"Audit {row.reference} is past planning ({state.title}): its sample can change "
            "only before returns open."
        )
    returned = c.execute(
        select(t.audit_return.c.id).where(t.audit_return.c.case_id.in_(case_ids))
    ).first()
    if returned is not None:
        raise InvalidInput(f"Audit {row.reference} already has returns on its cases.")
    for table in (t.assignment, t.case_agency):
        c.execute(delete(table).where(table.c.case_id.in_(case_ids)))
    c.execute(delete(t.case).where(t.case.c.id.in_(case_ids)))
    return len(case_ids)


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
            "and draw again, or replace the whole sample (with a reason)."
        )


def record_draw(
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
