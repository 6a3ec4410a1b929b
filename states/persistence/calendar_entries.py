"""Deadlines' calendar entries change with their deadlines, in the same transaction.

A moved deadline raises its entry's sequence and tells everyone holding it (``deadline_moved``,
carrying the entry at its new time under the same UID). A deadline met or withdrawn takes the
entry back: from everyone (the state left, the action finished, assurance given, the audit
ended) or from one person whose own part is done (their agency's return, their sign-off
decision) or who was removed; each is told once (``deadline_cancelled``, carrying a CANCEL at
a sequence above the last request, RFC 5546). Nobody who never held the entry is told.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, select, update

from states.clock import as_utc
from states.persistence import notices
from states.persistence import tables as t
from states.persistence.calendar_holding import ENTRY_KEY
from states.persistence.calendar_records import Due

MOVED = "deadline_moved"
CANCELLED = "deadline_cancelled"
_e = t.deadline_entry
_h = t.deadline_entry_holder


def move(
    connection: Connection, where: ColumnElement[bool], *, due_at: datetime, at: datetime
) -> None:
    """The entry (``where``: on ``deadline_entry``) is due at ``due_at`` now."""
    found = connection.execute(
        select(_e.c.id).where(where, _e.c.ended_at.is_(None), _e.c.due_at != due_at)
    ).scalar_one_or_none()
    if found is None:  # nobody was sent it, it has ended, or the date is the same
        return
    entry_id = int(found)
    connection.execute(
        update(_e).where(_e.c.id == entry_id).values(due_at=due_at, sequence=_e.c.sequence + 1)
    )
    _tell(connection, entry_id, MOVED, _holding(connection, entry_id), at)


def end(connection: Connection, where: ColumnElement[bool], *, at: datetime) -> None:
    """The entries met or withdrawn: taken back from everyone still holding them."""
    ending = connection.execute(select(_e.c.id).where(where, _e.c.ended_at.is_(None))).scalars()
    for entry_id in list(ending):
        release(connection, entry_id, _holding(connection, entry_id), at=at)
        connection.execute(update(_e).where(_e.c.id == entry_id).values(ended_at=at))


def release(connection: Connection, entry_id: int, people: Iterable[int], *, at: datetime) -> None:
    """Taken back from those of ``people`` holding it, with one cancellation each."""
    holding = sorted(set(people) & set(_holding(connection, entry_id)))
    if holding:
        _take_back(connection, entry_id, holding, at)


def _take_back(connection: Connection, entry_id: int, holding: list[int], at: datetime) -> None:
    """``holding`` (each still holding the entry) no longer do, and are told once."""
    connection.execute(
        update(_h)
        .where(_h.c.entry_id == entry_id, _h.c.person_id.in_(holding))
        .values(released_at=at)
    )
    connection.execute(update(_e).where(_e.c.id == entry_id).values(sequence=_e.c.sequence + 1))
    _tell(connection, entry_id, CANCELLED, holding, at)


def for_deadlines(deadline_ids: Select[tuple[int]] | list[int]) -> ColumnElement[bool]:
    """Entries of the deadline rows ``deadline_ids`` (a list or a query of ids) names."""
    return _e.c.deadline_id.in_(deadline_ids)


def for_escalation(escalation_id: int) -> ColumnElement[bool]:
    return _e.c.escalation_id == escalation_id


def of_audit(audit_id: int) -> ColumnElement[bool]:
    return _e.c.audit_id == audit_id


def open_state_entry(connection: Connection, audit_id: int) -> int | None:
    """The entry of the audit's open state deadline, if anyone was sent it."""
    found = connection.execute(_open_state_entry(audit_id)).scalar_one_or_none()
    return None if found is None else int(found)


def _open_state_entry(audit_id: int) -> Select[Any]:
    return (
        select(_e.c.id)
        .join(t.deadline, t.deadline.c.id == _e.c.deadline_id)
        .where(
            _e.c.audit_id == audit_id,
            _e.c.ended_at.is_(None),
            t.deadline.c.round >= 1,
            t.deadline.c.met_at.is_(None),
        )
    )


def release_agency(connection: Connection, audit_id: int, agency_id: int, *, at: datetime) -> None:
    """An agency's own part is in (its return): its people no longer owe the state's deadline."""
    entry_id = open_state_entry(connection, audit_id)
    if entry_id is None:
        return
    staff = select(t.person.c.id).where(t.person.c.agency_id == agency_id)
    release(connection, entry_id, connection.execute(staff).scalars(), at=at)


def release_person(
    connection: Connection, person_id: int, *, at: datetime, audit_id: int | None = None
) -> None:
    """One person's own part done (``audit_id``: their sign-off decision), or everything they
    hold taken back (they were removed from the directory)."""
    held = (
        select(_h.c.entry_id)
        .join(_e, _e.c.id == _h.c.entry_id)
        .where(_h.c.person_id == person_id, _h.c.released_at.is_(None), _e.c.ended_at.is_(None))
    )
    if audit_id is not None:  # asked in the same statement: a decision pays for every one
        held = held.where(_e.c.id.in_(_open_state_entry(audit_id)))
    for entry_id in list(connection.execute(held).scalars()):
        _take_back(connection, entry_id, [person_id], at)


def _holding(connection: Connection, entry_id: int) -> list[int]:
    return sorted(
        connection.execute(
            select(_h.c.person_id).where(_h.c.entry_id == entry_id, _h.c.released_at.is_(None))
        ).scalars()
    )


def _tell(
    connection: Connection, entry_id: int, kind: str, people: list[int], at: datetime
) -> None:
    entry = connection.execute(
        select(_e.c.audit_id, _e.c.due, _e.c.due_at, _e.c.sequence)
        .add_columns(_e.c.deadline_id, _e.c.escalation_id, t.audit.c.reference, t.audit.c.theme)
        .join(t.audit, t.audit.c.id == _e.c.audit_id)
        .where(_e.c.id == entry_id)
    ).one()
    context = notices.audit_context(
        entry.reference,
        entry.theme,
        deadline_at=as_utc(entry.due_at).isoformat(),
        due=entry.due,
        **{ENTRY_KEY: str(entry_id)},
        **_about(connection, entry.due, entry.deadline_id, entry.escalation_id),
    )
    notices.queue(
        connection,
        kind=kind,
        audit_id=entry.audit_id,
        subject_id=entry_id,
        recipient_ids=people,
        at=at,
        context=context,
        # One message per change of the entry and person: a retried transaction adds none.
        key_prefix=f"{kind}:{entry_id}:{entry.sequence}",
    )


def _about(
    connection: Connection, due: str, deadline_id: int | None, escalation_id: int | None
) -> dict[str, str]:
    """The agency an action or a concern's assurance belongs to, and the action's number."""
    if due == Due.ASSURANCE:
        agency = select(t.escalation.c.agency_id).where(t.escalation.c.id == escalation_id)
        return {"agency": notices.agency_name(connection, connection.execute(agency).scalar_one())}
    if due != Due.ACTION:
        return {}
    action = connection.execute(
        select(t.action.c.number, t.action.c.owner_agency_id).where(
            t.action.c.deadline_id == deadline_id
        )
    ).one()
    return {
        "agency": notices.agency_name(connection, action.owner_agency_id),
        "action": str(action.number),
    }
