"""Who holds a deadline's calendar entry: recorded as the e-mail asking for it is queued.

``notices.queue`` calls ``hold`` for every message kind that asks its reader for something
by a date (``REQUESTING``), inside the transaction that queues it, so an entry and its holders
commit with the change that asked for the work, never in the relay. The message's context
then names the entry (``ENTRY_KEY``), which is how the relay's builder finds it at sending.

Overdue and escalation notices carry no entry: they are about a date already past, and
whoever was asked holds the entry already (it leaves their calendar when the work is done).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, insert, select, update

from states.persistence import tables as t
from states.persistence.calendar_records import Due

# The context key naming the entry a message carries.
ENTRY_KEY = "calendar_entry"
# Kinds asking for something by a date, and what that is (None: a reminder, which says what
# the entry it reminds of already says, or "your part" when it is the first to carry it).
REQUESTING: dict[str, Due | None] = {
    "return_requested": Due.RETURN,
    "response_requested": Due.RESPONSE,
    "sign_off_requested": Due.SIGN_OFF,
    "reminder": None,
    "immediate_risk_raised": Due.ASSURANCE,
    "further_assurance_requested": Due.FURTHER_ASSURANCE,
    "action_assigned": Due.ACTION,
    "action_returned": Due.ACTION,
}
# Action deadlines are round 0; a state's visits count from 1 (``action_plan.open_deadline``).
_STATE_ROUNDS = t.deadline.c.round >= 1
_e = t.deadline_entry
_h = t.deadline_entry_holder


@dataclass(frozen=True)
class Target:
    """The deadline a message asks about: a deadline row or an escalation's assurance."""

    due: Due
    due_at: datetime
    deadline_id: int | None = None
    escalation_id: int | None = None


def hold(
    connection: Connection,
    *,
    kind: str,
    audit_id: int | None,
    subject_id: int | None,
    key_prefix: str,
    people: Iterable[int],
    at: datetime,
) -> int | None:
    """The entry the message carries (made now if it is the first), held by ``people``;
    None when the message asks for nothing by a date, or its deadline is already met."""
    holders = set(people)
    if kind not in REQUESTING or audit_id is None or not holders:
        return None
    target = _target(connection, kind, audit_id, subject_id, key_prefix)
    if target is None:
        return None
    entry_id = _entry(connection, target, audit_id, at)
    _held_by(connection, entry_id, holders, at)
    return entry_id


def _target(
    connection: Connection, kind: str, audit_id: int, subject_id: int | None, key_prefix: str
) -> Target | None:
    due = REQUESTING[kind]
    if kind == "immediate_risk_raised":
        return _escalation(connection, subject_id)
    if kind.startswith("action_"):
        action = select(t.action.c.deadline_id).where(t.action.c.id == subject_id)
        return _deadline(connection, t.deadline.c.id == action.scalar_subquery(), Due.ACTION)
    if kind == "reminder":
        return _reminded(connection, key_prefix)
    # A request about the audit's state: its one open deadline (the round's).
    where = (t.deadline.c.audit_id == audit_id) & _STATE_ROUNDS
    return _deadline(connection, where, due or Due.WORK)


def _reminded(connection: Connection, key_prefix: str) -> Target | None:
    """A reminder's rung is its key's ("rung:ID:…", ``sweep`` and ``action_plan.remind``)."""
    head, _, rest = key_prefix.partition(":")
    rung = rest.partition(":")[0]
    if head != "rung" or not rung.isdigit():
        return None
    reminded = select(t.reminder.c.deadline_id).where(t.reminder.c.id == int(rung))
    found = connection.execute(
        select(t.deadline.c.round).where(t.deadline.c.id == reminded.scalar_subquery())
    ).scalar_one_or_none()
    due = Due.ACTION if found == 0 else Due.WORK
    return _deadline(connection, t.deadline.c.id == reminded.scalar_subquery(), due)


def _deadline(connection: Connection, where: ColumnElement[bool], due: Due) -> Target | None:
    found = connection.execute(
        select(t.deadline.c.id, t.deadline.c.due_at)
        .where(where, t.deadline.c.met_at.is_(None))
        .order_by(t.deadline.c.id.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    return Target(due, found.due_at, deadline_id=int(found.id))


def _escalation(connection: Connection, escalation_id: int | None) -> Target | None:
    found = connection.execute(
        select(t.escalation.c.assurance_due_at).where(
            t.escalation.c.id == escalation_id, t.escalation.c.assured_at.is_(None)
        )
    ).first()
    if found is None or found.assurance_due_at is None:
        return None
    return Target(Due.ASSURANCE, found.assurance_due_at, escalation_id=escalation_id)


def _entry(connection: Connection, target: Target, audit_id: int, at: datetime) -> int:
    """The target's entry, made on first use with a UID part no other database will make."""
    column, key = (
        (_e.c.deadline_id, target.deadline_id)
        if target.deadline_id is not None
        else (_e.c.escalation_id, target.escalation_id)
    )
    found = connection.execute(select(_e.c.id).where(column == key)).scalar_one_or_none()
    if found is not None:
        return int(found)
    reference = connection.execute(
        select(t.audit.c.reference).where(t.audit.c.id == audit_id)
    ).scalar_one()
    values = {
        "audit_id": audit_id,
        "deadline_id": target.deadline_id,
        "escalation_id": target.escalation_id,
        "due": target.due,
        "uid_token": f"deadline.{reference}.{secrets.token_hex(10)}",
        "sequence": 0,
        "due_at": target.due_at,
        "opened_at": at,
    }
    return int(connection.execute(insert(_e).returning(_e.c.id), values).scalar_one())


def _held_by(connection: Connection, entry_id: int, people: set[int], at: datetime) -> None:
    """Holders from now on. Someone taken back and asked again holds it again, and the
    entry's sequence rises, as a calendar ignores a request no newer than its cancellation."""
    known = dict(
        connection.execute(
            select(_h.c.person_id, _h.c.released_at).where(
                _h.c.entry_id == entry_id, _h.c.person_id.in_(people)
            )
        ).all()
    )
    new = [{"entry_id": entry_id, "person_id": p, "held_since": at} for p in people - set(known)]
    if new:
        connection.execute(insert(_h), new)
    back = [p for p, released in known.items() if released is not None]
    if back:
        connection.execute(
            update(_h)
            .where(_h.c.entry_id == entry_id, _h.c.person_id.in_(back))
            .values(released_at=None, held_since=at)
        )
        connection.execute(
            update(_e).where(_e.c.id == entry_id).values(sequence=_e.c.sequence + 1, ended_at=None)
        )
