"""Tables of the multi-agency audit discussion meeting (migration 0026).

A meeting belongs to an audit; an audit may hold several over time (one cancelled, then
another), but at most one scheduled at a time, which ``states.services.meetings`` checks under
the audit's row lock. Its ``uid_token`` is made once, so every invitation, update and
cancellation names the same calendar entry; ``sequence`` rises with each change. Attendees are
people of the directory (the chair, the agencies' leads, the assigned auditors), never anyone
named in a case.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from states.persistence.records import UTC_TIMESTAMP


class AuditMeeting(SQLModel, table=True):
    __tablename__ = "audit_meeting"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ck_audit_meeting_times"),
        CheckConstraint(
            "place IS NOT NULL OR online_link IS NOT NULL", name="ck_audit_meeting_where"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    # The random part of the calendar entry's UID (the relay's mail domain is the rest).
    uid_token: str = Field(max_length=40, unique=True)
    sequence: int = 0
    status: str = Field(max_length=20)  # ``states.rules.meetings.MeetingStatus``
    starts_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    ends_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    place: str | None = Field(default=None, max_length=120)
    online_link: str | None = Field(default=None, max_length=500)
    scheduled_by: int = Field(foreign_key="person.id")
    scheduled_at: datetime = Field(sa_type=UTC_TIMESTAMP)


class MeetingAttendee(SQLModel, table=True):
    """One person invited to a meeting: when, whether taken off the list since, and whether
    they attended (``None`` until recorded), recorded by whom and when."""

    __tablename__ = "meeting_attendee"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="audit_meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    invited_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    removed_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    attended: bool | None = None
    recorded_by: int | None = Field(default=None, foreign_key="person.id")
    recorded_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
