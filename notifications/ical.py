"""Calendar entries as iCalendar files (RFC 5545, scheduled by RFC 5546's iTIP methods).

One entry is one thing in a person's calendar: a deadline or a meeting. Its ``uid`` never
changes, so a moved deadline or meeting is sent again under the same UID with a higher
``sequence`` and the reader's calendar moves the entry it already holds; ``CANCEL`` under the
same UID takes it away. Times are written in Europe/London, the partnership's own time, with
the VTIMEZONE that defines it (its summer and winter rules), so a calendar in any time zone
places 17:00 on a day after the clocks change where it belongs.

Nothing here reads the clock: the stamp is given, like every other value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from states.clock import as_utc

LONDON = ZoneInfo("Europe/London")
PRODUCT = "-//Safeguarding partnership//Audit engine//EN"


class Method(StrEnum):
    """What the file asks of the reader's calendar (RFC 5546)."""

    REQUEST = "REQUEST"  # add the entry, or move it when the UID is already there
    CANCEL = "CANCEL"  # take the entry away


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    address: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One calendar entry as of one revision. ``start`` and ``end`` are aware instants."""

    uid: str
    sequence: int
    summary: str
    start: datetime
    end: datetime
    stamp: datetime
    organizer: Person
    attendees: Sequence[Person] = ()
    description: str = ""
    location: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class CalendarPart:
    """A file ready to attach: the method goes into the MIME type as well as the file, as
    Outlook and Gmail look for it there."""

    method: Method
    data: bytes

    @property
    def content_type(self) -> str:
        return f"text/calendar; method={self.method.value}; charset=UTF-8"


def calendar_file(entry: Entry, method: Method) -> CalendarPart:
    head, tail = _frame(method, as_utc(entry.start).year)
    return CalendarPart(method=method, data=head + _event(entry, method).to_ical() + tail)


@lru_cache(maxsize=16)
def _frame(method: Method, year: int) -> tuple[bytes, bytes]:
    """The calendar around the event, written once per method and year: its properties and
    the VTIMEZONE of the TZID the times use (first: readers meet the definition before its
    use), then its end. Writing the VTIMEZONE out cost as much as the rest of the file, and
    it is the same in every file of the year."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method.value)
    calendar.add_component(_london(year))
    whole = calendar.to_ical()
    end = b"END:VCALENDAR\r\n"
    assert whole.endswith(end)  # RFC 5545: the calendar's last line
    return whole[: -len(end)], end


def _london(year: int) -> Timezone:
    """Europe/London over the years around ``year``, from the zone's own rules (the whole
    range the library knows would be 90 lines of dates)."""
    return Timezone.from_tzinfo(
        LONDON, tzid=str(LONDON), first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1)
    )


def _event(entry: Entry, method: Method) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("sequence", entry.sequence)
    event.add("dtstamp", as_utc(entry.stamp))
    event.add("dtstart", as_utc(entry.start).astimezone(LONDON))
    event.add("dtend", as_utc(entry.end).astimezone(LONDON))
    event.add("summary", entry.summary)
    if entry.description:
        event.add("description", entry.description)
    if entry.location:
        event.add("location", entry.location)
    if entry.url:
        event.add("url", entry.url)
    event.add("organizer", _address(entry.organizer, role=None))
    for person in entry.attendees:
        event.add("attendee", _address(person, role="REQ-PARTICIPANT"))
    if method is Method.CANCEL:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
    return event


def _address(person: Person, *, role: str | None) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.address}")
    address.params["cn"] = vText(person.name)
    if role is not None:
        address.params["role"] = vText(role)
        address.params["partstat"] = vText("NEEDS-ACTION")
        address.params["rsvp"] = vText("FALSE")
    return address
