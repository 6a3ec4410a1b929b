"""Tables of deadlines as calendar entries (migration 0025).

A deadline that an e-mail asks someone to meet by (a return, a response, a sign-off decision,
assurance on a concern, an action) is one calendar entry, made the first time such an e-mail
is queued. Its ``uid_token`` is made once and never reused (a random part, so a database made
afresh never names another's entry), so every request, update and cancellation names the
same entry in the reader's calendar; ``sequence`` rises with each change. A holder row says
who was sent the entry and whether it was taken back from them since, so updates and
cancellations go to exactly those who hold it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from states.persistence.records import UTC_TIMESTAMP


class Due(StrEnum):
    """What an entry's deadline asks for: its summary and its e-mails' words follow it."""

    RETURN = "return"
    RESPONSE = "response"
    SIGN_OFF = "sign_off"
    ASSURANCE = "assurance"
    ACTION = "action"
    # The report's author asked for further assurance before sign-off.
    FURTHER_ASSURANCE = "further_assurance"
    # A deadline first put in a calendar by a reminder, which says only "your part".
    WORK = "work"


class DeadlineEntry(SQLModel, table=True):
    """One deadline in people's calendars: a deadline row (a state's or an action's) or an
    escalation's assurance, never both."""

    __tablename__ = "deadline_entry"
    __table_args__ = (
        CheckConstraint(
            "(deadline_id IS NULL) <> (escalation_id IS NULL)", name="ck_deadline_entry_target"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    deadline_id: int | None = Field(default=None, foreign_key="deadline.id", unique=True)
    escalation_id: int | None = Field(default=None, foreign_key="escalation.id", unique=True)
    due: str = Field(max_length=20)  # ``Due``
    # The UID's own part (the relay's mail domain is the rest).
    uid_token: str = Field(max_length=80, unique=True)
    sequence: int = 0
    due_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    opened_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    # Met or withdrawn: every holder has been sent its cancellation.
    ended_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)


class DeadlineEntryHolder(SQLModel, table=True):
    """One person sent the entry: since when, and when it was taken back (their part met,
    or they were removed); held again if they are asked again."""

    __tablename__ = "deadline_entry_holder"
    __table_args__ = (UniqueConstraint("entry_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="deadline_entry.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    held_since: datetime = Field(sa_type=UTC_TIMESTAMP)
    released_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
