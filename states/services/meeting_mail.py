"""Changing a meeting's list of attendees and queueing what each person is told.

Every message is keyed by meeting, SEQUENCE and person, so each revision is told once; its
context says when and where (the place and the https link, never the reason for a change),
and the calendar entry is made at sending (``notifications.meeting_calendar``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, update

from states.errors import InvalidInput
from states.persistence import notices
from states.persistence import tables as t
from states.persistence.ids import PersonKey
from states.persistence.store import AuditRow
from states.rules.meetings import When
from states.services.meeting_people import invited


@dataclass(frozen=True)
class Where:
    """When and where a message says the meeting is (or was to be)."""

    when: When
    place: str | None
    link: str | None


@dataclass(frozen=True)
class Telling:
    """One revision of one meeting, inside the audit's write."""

    c: Connection
    row: AuditRow
    meeting_id: int
    sequence: int
    now: datetime

    def tell(self, kind: str, people: Collection[int], where: Where) -> int:
        """Queue ``kind`` for each of ``people``; how many were queued."""
        extra = {
            "starts_at": where.when.starts_at.isoformat(),
            "ends_at": where.when.ends_at.isoformat(),
        }
        if where.place:
            extra["place"] = where.place
        if where.link:
            extra["online_link"] = where.link
        return notices.queue(
            self.c,
            kind=kind,
            audit_id=self.row.id,
            subject_id=self.meeting_id,
            recipient_ids=sorted(people),
            at=self.now,
            context=notices.audit_context(self.row.reference, self.row.theme, **extra),
            key_prefix=f"{kind}:{self.meeting_id}:{self.sequence}",
        )


def on_list(c: Connection, meeting_id: int) -> set[int]:
    """Those invited and not taken off the list since."""
    return {i.person_id for i in invited(c, meeting_id) if i.removed_at is None}


def add_to_list(c: Connection, meeting_id: int, people: Collection[int], now: datetime) -> None:
    """Add people to the list: anyone taken off it before is put back."""
    back = {i.person_id for i in invited(c, meeting_id) if i.removed_at is not None}
    a = t.meeting_attendee
    for person in people:
        if person in back:
            c.execute(
                update(a)
                .where(a.c.meeting_id == meeting_id, a.c.person_id == person)
                .values(removed_at=None, invited_at=now)
            )
        else:
            c.execute(insert(a).values(meeting_id=meeting_id, person_id=person, invited_at=now))


def take_off_list(c: Connection, meeting_id: int, people: Collection[int], now: datetime) -> None:
    a = t.meeting_attendee
    for person in people:
        c.execute(
            update(a)
            .where(a.c.meeting_id == meeting_id, a.c.person_id == person)
            .values(removed_at=now)
        )


def present(
    c: Connection, meeting_id: int, attended: Iterable[PersonKey], reference: str
) -> set[int]:
    """The ids of those named as attending (by id or e-mail); only those invited may be."""
    listed = [i for i in invited(c, meeting_id) if i.removed_at is None]
    by_id = {i.person_id: i.person_id for i in listed}
    by_email = {i.email.lower(): i.person_id for i in listed}
    found: set[int] = set()
    for key in attended:
        one = by_id.get(key) if isinstance(key, int) else by_email.get(key.strip().lower())
        if one is None:
            raise InvalidInput(
                f"{key} was not invited to the discussion of audit {reference}: record only "
                "those invited."
            )
        found.add(one)
    return found
