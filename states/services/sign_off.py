"""Sign-off by the directory's bodies: whose decision counts, for which body, and who is asked.

An audit's rule is its type's ``sign_off`` or, when its programme entry sends the report to
other bodies (``report_to``, copied to the audit when it is linked), the same rule with those
bodies. Under a rule naming bodies, the members of every active body of those kinds (people
still in the directory) decide it, and in that audit hold the role ``sign_off_member``; each
decision is recorded with the bodies it counts for, as they stood when it was made. An audit
whose snapshot still names roles decides as it always did, by those roles.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar, cast

from sqlalchemy import Connection, insert, select, update

from states.clock import LONDON, as_utc
from states.definitions.bodies import BodyKind
from states.definitions.model import AuditTypeDefinition
from states.definitions.sign_off import SignOffBody, SignOffDef
from states.persistence import notices
from states.persistence import tables as t
from states.persistence.store import Actor, AuditRow
from states.rules.sign_off import Decision

T = TypeVar("T")
MEMBER_ROLE = "sign_off_member"
# What ``remembered`` keeps while it is open: an audit's rule, a member's seats.
_REMEMBERED: ContextVar[dict[tuple[object, ...], object] | None] = ContextVar(
    "sign_off_remembered", default=None
)


@dataclass(frozen=True)
class BodySeat:
    """A body a member decides for."""

    id: int
    name: str
    kind: BodyKind


@contextmanager
def remembered() -> Iterator[None]:
    """Within one unit of work that changes no body, membership or audit rule (a link opened,
    a member's decision), each audit's rule and each member's seats are read once: the holder
    check, the decision's rules and each gate's context all ask for them again."""
    reset = _REMEMBERED.set({})
    try:
        yield
    finally:
        _REMEMBERED.reset(reset)


def _remember(key: tuple[object, ...], read: Callable[[], T]) -> T:
    kept = _REMEMBERED.get()
    if kept is None:
        return read()
    if key not in kept:
        kept[key] = read()
    return cast(T, kept[key])


def audit_rule(
    connection: Connection, definition: AuditTypeDefinition, audit_id: int
) -> SignOffDef | None:
    """The rule the audit is signed off by: its type's, or its type's with its own bodies."""
    rule = definition.sign_off
    if rule is None:
        return None
    own = _remember(("report_to", audit_id), lambda: _report_to(connection, audit_id))
    if own is None:
        return rule
    return rule.with_bodies([SignOffBody.model_validate(b) for b in json.loads(own)])


def _report_to(connection: Connection, audit_id: int) -> str | None:
    return connection.execute(
        select(t.audit.c.report_to).where(t.audit.c.id == audit_id)
    ).scalar_one_or_none()


def bodies_json(bodies: Iterable[SignOffBody]) -> str:
    return json.dumps([b.model_dump(mode="json") for b in bodies], sort_keys=True)


def seats(connection: Connection, rule: SignOffDef, person_id: int) -> list[BodySeat]:
    """The active bodies of the rule's kinds the person sits on (none under a role rule)."""
    kinds = [body.kind.value for body in rule.bodies or ()]
    if not kinds:
        return []
    found = _remember(("seats", person_id, *kinds), lambda: _seats(connection, kinds, person_id))
    return list(found)


def _seats(connection: Connection, kinds: list[str], person_id: int) -> tuple[BodySeat, ...]:
    b, m = t.body, t.body_member
    rows = connection.execute(
        select(b.c.id, b.c.name, b.c.kind)
        .join(m, m.c.body_id == b.c.id)
        .where(m.c.person_id == person_id, b.c.active, b.c.kind.in_(kinds))
        .order_by(b.c.name, b.c.id)
    )
    return tuple(BodySeat(int(i), name, BodyKind(kind)) for i, name, kind in rows)


def may_decide(connection: Connection, rule: SignOffDef, person: Actor) -> bool:
    """Whether the person's decision would count: an active member of one of the rule's
    bodies, or (a role rule) holding one of its roles."""
    if not person.active:
        return False
    if rule.bodies is None:
        return bool(person.roles & set(rule.roles or ()))
    return bool(seats(connection, rule, person.id))


def with_member_role(
    connection: Connection, rule: SignOffDef | None, actor: Actor, roles: frozenset[str]
) -> frozenset[str]:
    """The person's roles in an audit (``roles``), with ``sign_off_member`` when they sit on
    a body its rule names."""
    if rule is None or rule.bodies is None or not actor.active:
        return roles
    return roles | {MEMBER_ROLE} if seats(connection, rule, actor.id) else roles


def undecided(
    connection: Connection, rule: SignOffDef | None, row: AuditRow, round_: int
) -> list[int]:
    """Those who may decide and have not yet in ``round_``: the members of the rule's bodies
    (or holders of its roles) still in the directory, never the author when excluded."""
    if rule is None:
        return []
    decided = select(t.decision.c.person_id).where(
        t.decision.c.audit_id == row.id, t.decision.c.round == round_
    )
    if rule.bodies is None:
        r = t.role
        eligible = select(r.c.person_id).where(
            r.c.role.in_(rule.roles or ()), r.c.person_id.not_in(decided)
        )
    else:
        b, m = t.body, t.body_member
        eligible = (
            select(m.c.person_id)
            .join(b, b.c.id == m.c.body_id)
            .where(b.c.active, b.c.kind.in_([body.kind.value for body in rule.bodies]))
            .where(m.c.person_id.not_in(decided))
        )
    people = notices.active_people(connection, connection.execute(eligible).scalars())
    if rule.exclude_author:
        people.discard(row.lead_id)
    return sorted(people)


def record(
    connection: Connection,
    row: AuditRow,
    who: Actor,
    rule: SignOffDef,
    *,
    decision: Decision,
    comment: str | None,
    now: datetime,
) -> list[BodySeat]:
    """Store the decision with the bodies it counts for; returns them."""
    decision_id = connection.execute(
        insert(t.decision).returning(t.decision.c.id),
        {
            "audit_id": row.id,
            "round": row.state_round,
            "person_id": who.id,
            "decision": decision,
            "comment": comment,
            "decided_at": now,
        },
    ).scalar_one()
    found = seats(connection, rule, who.id)
    if found:
        connection.execute(
            insert(t.decision_body),
            [{"decision_id": decision_id, "body_id": seat.id} for seat in found],
        )
    return found


def decided_sentence(decision: Decision, who: Actor, found: Iterable[BodySeat]) -> str:
    """What the history says of a decision: "Approved by NAME for BODY"."""
    verb = "Approved" if decision == Decision.APPROVE else "Refused"
    names = [seat.name for seat in found]
    if not names:
        return f"{verb} by {who.name}"
    joined = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{verb} by {who.name} for {joined}"


def record_signed_off(connection: Connection, audit_id: int, at: datetime) -> None:
    """The plan's "date of sign off": the day, in Europe/London, on the audit's programme
    entry (or, for recurring work, on its time round)."""
    day: date = as_utc(at).astimezone(LONDON).date()
    for linked in (t.programme_entry, t.programme_occurrence):
        connection.execute(
            update(linked).where(linked.c.audit_id == audit_id).values(signed_off_on=day)
        )


def take_entry_bodies(connection: Connection, *, entry_id: int, audit_id: int) -> None:
    """An audit linked to a programme entry reports to the entry's bodies, if it names any:
    copied now, so reloading the plan later never changes who decides a running audit."""
    p = t.programme_entry
    own = connection.execute(select(p.c.report_to).where(p.c.id == entry_id)).scalar_one()
    if own is not None:
        connection.execute(update(t.audit).where(t.audit.c.id == audit_id).values(report_to=own))
