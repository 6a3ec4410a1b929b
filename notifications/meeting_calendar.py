"""The calendar entry an audit discussion message carries, made as it is sent.

Invitations and updates carry a REQUEST, cancellations a CANCEL, all under the meeting's one
UID (its random part, made once, at the relay's mail domain) and its SEQUENCE as it is when
the message goes: a meeting moved after an invitation was queued is sent as it now is. An
invitation or update for someone taken off the list since, or for a meeting cancelled since,
goes without an entry (their cancellation follows). The organiser is the relay's sender; the
attendees are those on the list. The entry says when, where and which audit, never a case
detail nor the reason for a change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import parseaddr

from notifications.calendar_parts import CalendarBuilder, MessageRow, SenderConfig
from notifications.ical import CalendarPart, Entry, Method, Person, calendar_file
from states.rules.meetings import MeetingStatus
from states.services.deps import Deps
from states.services.meeting_people import Invited, MeetingNow, meeting_now

REQUESTS = ("meeting_invitation", "meeting_updated")
CANCELS = ("meeting_cancelled",)
DESCRIPTION = (
    "The multi-agency discussion of audit {reference} ({theme}): the agencies and auditors "
    "talk through the case audits before moderation is agreed. No case details are given "
    "here."
)


def builders() -> dict[str, CalendarBuilder]:
    return {kind: meeting_entry for kind in REQUESTS + CANCELS}


def meeting_entry(
    deps: Deps, row: MessageRow, config: SenderConfig, at: datetime
) -> CalendarPart | None:
    found = None if row.subject_id is None else meeting_now(deps, row.subject_id)
    if found is None:
        return None
    listed = [i for i in found.invited if i.removed_at is None]
    if row.kind in CANCELS:
        # Everyone, when the meeting is cancelled; only the reader, when taken off the list.
        whole = found.meeting.status is MeetingStatus.CANCELLED
        people = listed if whole else [i for i in found.invited if i.person_id == row.recipient_id]
        return calendar_file(_entry(found, config, at, people), Method.CANCEL)
    still_on = any(i.person_id == row.recipient_id for i in listed)
    if found.meeting.status is MeetingStatus.CANCELLED or not still_on:
        return None
    return calendar_file(_entry(found, config, at, listed), Method.REQUEST)


def _entry(
    found: MeetingNow, config: SenderConfig, at: datetime, people: Sequence[Invited]
) -> Entry:
    meeting = found.meeting
    name, address = parseaddr(config.mail_from)
    return Entry(
        uid=f"{meeting.uid_token}@{config.mail_domain}",
        sequence=meeting.sequence,
        summary=f"Audit discussion: {found.reference} ({found.theme})",
        start=meeting.starts_at,
        end=meeting.ends_at,
        stamp=at,
        organizer=Person(name or address, address),
        attendees=tuple(Person(i.name, i.email) for i in people),
        description=DESCRIPTION.format(reference=found.reference, theme=found.theme),
        location=_location(meeting.place, meeting.online_link),
        url=meeting.online_link,
    )


def _location(place: str | None, link: str | None) -> str | None:
    return "; ".join(part for part in (place, link) if part) or None
