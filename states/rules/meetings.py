"""The multi-agency audit discussion meeting: what a meeting may be, as rules.

A meeting has a London date with start and end times (stored as UTC instants), a place or an
online link or both, and attendees. The place and the link go into e-mails and calendar files,
so the place is one short line and the link an ``https`` address; neither is a case detail.
Nothing here reads the clock or the database: the instant "now" is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from states.clock import LONDON, as_utc
from states.errors import InvalidInput

PLACE_LENGTH = 120
LINK_LENGTH = 500
# A discussion is a meeting, not a conference: longer is a typing mistake.
LONGEST = timedelta(hours=8)
HELD_REFUSAL = (
    "the audit discussion has not been held: schedule it on the meeting page and record "
    "who attended"
)
STILL_TO_COME = (
    "an audit discussion is still scheduled: record who attended once it has started, or cancel it"
)


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    HELD = "held"  # its start passed and who attended was recorded


@dataclass(frozen=True)
class When:
    """A meeting's time as UTC instants."""

    starts_at: datetime
    ends_at: datetime


def london_times(day: date, start: time, end: time) -> When:
    """The London date and wall-clock times as instants (the clocks' change on that day
    included: 10:00 on 26 October is GMT, on 24 October BST)."""
    starts = datetime.combine(day, start, tzinfo=LONDON)
    ends = datetime.combine(day, end, tzinfo=LONDON)
    return When(as_utc(starts), as_utc(ends))


def check_when(when: When, now: datetime) -> None:
    if when.ends_at <= when.starts_at:
        raise InvalidInput("Give an end time after the start time.")
    if when.ends_at - when.starts_at > LONGEST:
        raise InvalidInput("Give a meeting of at most 8 hours; check the start and end times.")
    if when.starts_at <= as_utc(now):
        raise InvalidInput("Give a start time that is still to come; invitations go out now.")


def clean_place(place: str | None) -> str | None:
    """One short line, or None. It goes into e-mails and calendars: never a case detail."""
    text = " ".join((place or "").split())
    if len(text) > PLACE_LENGTH:
        raise InvalidInput(
            f"Give the place in at most {PLACE_LENGTH} characters: a room and building, "
            "never a case detail."
        )
    return text or None


def clean_link(link: str | None) -> str | None:
    """An ``https`` address with a host and no spaces, or None."""
    text = (link or "").strip()
    if not text:
        return None
    parts = urlsplit(text)
    if (
        parts.scheme != "https"
        or not parts.hostname
        or any(c.isspace() for c in text)
        or len(text) > LINK_LENGTH
    ):
        raise InvalidInput(
            "Give the online link as the meeting's full https:// address, for example "
            "https://meet.example.org/audit-discussion."
        )
    return text


def check_where(place: str | None, link: str | None) -> None:
    if place is None and link is None:
        raise InvalidInput("Give a place, an online link, or both.")


def discussion_refusal(held: int, scheduled: int) -> str | None:
    """Why moderation may not yet be agreed (gate ``discussion_held``), or None: a meeting
    was held and none is still scheduled to come."""
    if scheduled:
        return STILL_TO_COME
    return None if held else HELD_REFUSAL
