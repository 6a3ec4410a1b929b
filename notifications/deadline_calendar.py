"""The calendar entry of a deadline, for each message that asks for something by a date.

A message names its entry in its context (``states.persistence.calendar_holding.ENTRY_KEY``);
what the entry says is read at sending (``states.services.calendar_entries``). The event is a
short one ending at the deadline, so the reader's calendar shows it where the time runs out,
in Europe/London (``notifications.ical``). Its summary names the audit by reference and what
is due, never a case; its link is the audit's page for those who sign in, and otherwise none:
a link token is single-use and a calendar file is forwarded and synced.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from email.utils import parseaddr

from notifications.calendar_parts import CalendarBuilder, MessageRow, SenderConfig
from notifications.ical import CalendarPart, Entry, Method, Person, calendar_file
from states.persistence.calendar_entries import CANCELLED, MOVED
from states.persistence.calendar_holding import ENTRY_KEY, REQUESTING
from states.persistence.calendar_records import Due
from states.services.calendar_entries import HeldEntry, held_entry
from states.services.deps import Deps

# The event's length, ending at the deadline.
LENGTH = timedelta(minutes=30)
_WHAT = {
    Due.RETURN: "Return due",
    Due.RESPONSE: "Response due",
    Due.SIGN_OFF: "Sign-off due",
    Due.ASSURANCE: "Assurance due",
    Due.ACTION: "Action due",
    Due.FURTHER_ASSURANCE: "Further assurance due",
    Due.WORK: "Due",
}


def deadline_entry(
    deps: Deps, row: MessageRow, config: SenderConfig, at: datetime
) -> CalendarPart | None:
    entry_id = json.loads(row.context).get(ENTRY_KEY)
    if entry_id is None:
        return None
    held = held_entry(deps, entry_id=int(entry_id), person_id=row.recipient_id)
    cancelling = row.kind == CANCELLED
    # A request to someone it was taken back from since, or a cancellation to someone who
    # was asked again since: the message goes without an entry; the later one carries it.
    if held is None or held.holding == cancelling:
        return None
    method = Method.CANCEL if cancelling else Method.REQUEST
    return calendar_file(_entry(held, row, config, at), method)


def _entry(held: HeldEntry, row: MessageRow, config: SenderConfig, at: datetime) -> Entry:
    sender, address = parseaddr(config.mail_from)
    page = f"{config.base_url.rstrip('/')}/audits/{held.reference}"
    return Entry(
        uid=f"{held.uid_token}@{config.mail_domain}",
        sequence=held.sequence,
        summary=summary(held),
        start=held.due_at - LENGTH,
        end=held.due_at,
        stamp=at,
        organizer=Person(sender or address, address),
        attendees=(Person(row.name, row.email),),
        description=_description(held),
        url=page if held.reads_audit_page else None,
    )


def summary(held: HeldEntry) -> str:
    """ "Return due: MACE-2026-004", "Action 3 due: MACE-2026-004 (Health)"."""
    what = f"Action {held.action} due" if held.action is not None else _WHAT[held.due]
    owner = f" ({held.agency})" if held.agency else ""
    return f"{what}: {held.reference}{owner}"


def _description(held: HeldEntry) -> str:
    return (
        f"The deadline for audit {held.reference} of the Oldham Safeguarding Children "
        "Partnership. The e-mail that brought this entry says what is asked and how to do it; "
        "this entry moves or leaves your calendar when the deadline changes or is met."
    )


def builders() -> dict[str, CalendarBuilder]:
    """Every kind that asks for something by a date, and the update and cancellation."""
    return dict.fromkeys((*REQUESTING, MOVED, CANCELLED), deadline_entry)
