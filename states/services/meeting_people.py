"""Who may be invited to an audit's discussion meeting, and the meeting as stored.

Those offered are the audit's own people: its chair, the audit leads of the agencies taking
part, and the auditors assigned its cases; anyone removed from the directory is not offered.
The commands (``states.services.meetings``) and the page's read (``meeting_views``) share
these reads, inside their own transactions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from states.clock import as_utc, as_utc_or_none
from states.errors import InvalidInput
from states.persistence import tables as t
from states.persistence.ids import PersonKey
from states.persistence.store import AuditRow
from states.rules.meetings import MeetingStatus
from states.services.deps import Deps

CHAIR = "Chair"
AUDITORS = "Auditors"


@dataclass(frozen=True)
class Offered:
    """A person who may be invited, and the group the page lists them under: the chair,
    the auditors, or their agency's name."""

    id: int
    name: str
    email: str
    group: str


@dataclass(frozen=True)
class StoredMeeting:
    id: int
    uid_token: str
    sequence: int
    status: MeetingStatus
    starts_at: datetime
    ends_at: datetime
    place: str | None
    online_link: str | None


@dataclass(frozen=True)
class Invited:
    person_id: int
    name: str
    email: str
    removed_at: datetime | None
    attended: bool | None
    recorded_at: datetime | None


def offered(c: Connection, row: AuditRow) -> list[Offered]:
    """The chair first, then the auditors, then each agency's leads, by name."""
    p = t.person
    chair = c.execute(select(p.c.id, p.c.name, p.c.email).where(p.c.id == row.lead_id)).one()
    auditors = (
        select(p.c.id, p.c.name, p.c.email)
        .join(t.assignment, t.assignment.c.person_id == p.c.id)
        .join(t.case, t.case.c.id == t.assignment.c.case_id)
        .where(t.case.c.audit_id == row.id, p.c.active)
        .distinct()
        .order_by(p.c.name)
    )
    leads = (
        select(p.c.id, p.c.name, p.c.email, t.agency.c.name.label("agency"))
        .join(t.role, t.role.c.person_id == p.c.id)
        .join(t.agency, t.agency.c.id == p.c.agency_id)
        .join(t.participation, t.participation.c.agency_id == p.c.agency_id)
        .where(t.participation.c.audit_id == row.id, t.role.c.role == "agency_lead", p.c.active)
        .order_by(t.agency.c.name, p.c.name)
    )
    found = [Offered(chair.id, chair.name, chair.email, CHAIR)]
    found += [Offered(i, name, mail, AUDITORS) for i, name, mail in c.execute(auditors)]
    found += [Offered(i, name, mail, agency) for i, name, mail, agency in c.execute(leads)]
    unique: dict[int, Offered] = {}
    for person in found:  # a chair who is also an agency lead is listed once, as chair
        unique.setdefault(person.id, person)
    return list(unique.values())


def chosen(people: Sequence[Offered], keys: Iterable[PersonKey], reference: str) -> set[int]:
    """The ids of the people named (by id or e-mail); anyone not offered is refused."""
    by_id = {person.id: person.id for person in people}
    by_email = {person.email.lower(): person.id for person in people}
    picked: set[int] = set()
    for key in keys:
        found = by_id.get(key) if isinstance(key, int) else by_email.get(key.strip().lower())
        if found is None:
            raise InvalidInput(
                f"{key} cannot be invited to the discussion of audit {reference}: invite its "
                "chair, the audit leads of its agencies or its assigned auditors."
            )
        picked.add(found)
    if not picked:
        raise InvalidInput("Choose at least one person to invite to the audit discussion.")
    return picked


# What ``StoredMeeting`` is made of, in its order.
_STORED = (
    t.meeting.c.id,
    t.meeting.c.uid_token,
    t.meeting.c.sequence,
    t.meeting.c.status,
    t.meeting.c.starts_at,
    t.meeting.c.ends_at,
    t.meeting.c.place,
    t.meeting.c.online_link,
)


def latest(c: Connection, audit_id: int) -> StoredMeeting | None:
    """The audit's newest meeting, whatever its status."""
    m = t.meeting
    found = c.execute(
        select(*_STORED).where(m.c.audit_id == audit_id).order_by(m.c.id.desc()).limit(1)
    ).first()
    return None if found is None else _stored(found)


def meeting_by_id(c: Connection, meeting_id: int) -> tuple[StoredMeeting, int] | None:
    """A meeting and its audit's id, or None."""
    m = t.meeting
    found = c.execute(select(*_STORED, m.c.audit_id).where(m.c.id == meeting_id)).first()
    return None if found is None else (_stored(found), int(found[-1]))


def _stored(found: Sequence[Any]) -> StoredMeeting:
    """A meeting from its row: id, UID token, sequence, status, start, end, place, link."""
    id_, token, sequence, status, starts, ends, place, link = found[:8]
    return StoredMeeting(
        id_, token, sequence, MeetingStatus(status), as_utc(starts), as_utc(ends), place, link
    )


def invited(c: Connection, meeting_id: int) -> list[Invited]:
    """Everyone ever invited to the meeting (those taken off the list too), by name."""
    a, p = t.meeting_attendee, t.person
    rows = c.execute(
        select(p.c.id, p.c.name, p.c.email, a.c.removed_at, a.c.attended, a.c.recorded_at)
        .join(p, p.c.id == a.c.person_id)
        .where(a.c.meeting_id == meeting_id)
        .order_by(p.c.name, p.c.id)
    )
    return [
        Invited(i, name, mail, as_utc_or_none(removed), attended, as_utc_or_none(recorded))
        for i, name, mail, removed, attended, recorded in rows
    ]


@dataclass(frozen=True)
class MeetingNow:
    """A meeting as it stands, for the calendar entry made as a message about it is sent."""

    meeting: StoredMeeting
    reference: str
    theme: str
    invited: list[Invited]


def meeting_now(deps: Deps, meeting_id: int) -> MeetingNow | None:
    """The meeting, its audit's reference and theme, and everyone ever invited; None if it
    is gone."""
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        found = meeting_by_id(c, meeting_id)
        if found is None:
            return None
        meeting, audit_id = found
        audit = c.execute(
            select(t.audit.c.reference, t.audit.c.theme).where(t.audit.c.id == audit_id)
        ).one()
        return MeetingNow(meeting, audit.reference, audit.theme, invited(c, meeting_id))
