"""A deadline's calendar entry as one person holds it now, for the message being sent.

The relay asks at sending (``notifications.deadline_calendar``), so an entry goes out as it is
then: moved since the message was queued, it carries the new time and sequence; taken back from
the reader since, a request carries no entry at all (their cancellation follows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from states.clock import as_utc
from states.persistence import tables as t
from states.persistence.calendar_records import Due
from states.services import minting
from states.services.deps import Deps

_e = t.deadline_entry
_h = t.deadline_entry_holder


@dataclass(frozen=True)
class HeldEntry:
    """What a calendar file for one reader says: no words of a return, concern or action."""

    uid_token: str
    sequence: int
    due: Due
    due_at: datetime
    reference: str
    # Whether the reader holds it now (False: it was taken back from them).
    holding: bool
    # Whether the reader signs in, so the audit's page is worth linking (agencies never do).
    reads_audit_page: bool
    agency: str | None = None
    action: int | None = None


def held_entry(deps: Deps, *, entry_id: int, person_id: int) -> HeldEntry | None:
    """The entry as ``person_id`` holds it, or None when they were never sent it."""
    query = (
        select(_e.c.uid_token, _e.c.sequence, _e.c.due, _e.c.due_at, t.audit.c.reference)
        .add_columns(_h.c.released_at, _e.c.deadline_id, _e.c.escalation_id)
        .join(t.audit, t.audit.c.id == _e.c.audit_id)
        .join(_h, (_h.c.entry_id == _e.c.id) & (_h.c.person_id == person_id))
        .where(_e.c.id == entry_id)
    )
    with deps.uow(readonly=True) as uow:
        found = uow.connection.execute(query).first()
        if found is None:
            return None
        agency, action = _owner(uow.connection, found.deadline_id, found.escalation_id)
        # In the same read: a message pays for one transaction here, not two.
        page_refused = minting.audit_page_refusal_in(uow.connection, person_id)
    return HeldEntry(
        uid_token=found.uid_token,
        sequence=int(found.sequence),
        due=Due(found.due),
        due_at=as_utc(found.due_at),
        reference=found.reference,
        holding=found.released_at is None,
        reads_audit_page=page_refused is None,
        agency=agency,
        action=action,
    )


def _owner(
    connection: Connection, deadline_id: int | None, escalation_id: int | None
) -> tuple[str | None, int | None]:
    """The agency an action or a concern's assurance belongs to, and the action's number."""
    if escalation_id is not None:
        name = connection.execute(
            select(t.agency.c.name)
            .join(t.escalation, t.escalation.c.agency_id == t.agency.c.id)
            .where(t.escalation.c.id == escalation_id)
        ).scalar_one()
        return str(name), None
    action = connection.execute(
        select(t.agency.c.name, t.action.c.number)
        .join(t.action, t.action.c.owner_agency_id == t.agency.c.id)
        .where(t.action.c.deadline_id == deadline_id)
    ).first()
    return (None, None) if action is None else (str(action.name), int(action.number))
