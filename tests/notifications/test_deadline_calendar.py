"""Deadlines in people's calendars, through the real relay to a real SMTP server (aiosmtpd on
loopback), each message's calendar file parsed back with icalendar: one event per message that
asks for something by a date, the same UID when the deadline moves with its SEQUENCE raised,
METHOD:CANCEL when it is met or withdrawn, and London wall times right across the clock
changes of 29 March and 25 October 2026 (the VTIMEZONE's own transitions included)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from notifications.relay import relay
from states.services import audits, work
from states.services.deps import Deps
from tests.support.driver import Cast, Driver
from tests.support.partnership import email
from tests.support.relay import CONFIG
from tests.support.smtp import Recorder, mailer, smtp_server, text_of

LONDON = ZoneInfo("Europe/London")
LEADS = ("lead.police", "lead.csc", "lead.health")


@dataclass(frozen=True)
class Sent:
    """One e-mail as its reader's mail client sees it, with its calendar file parsed."""

    to: str
    subject: str
    text: str
    method: str | None
    events: list[Event]
    calendar: Calendar | None


def _send(deps: Deps) -> list[Sent]:
    server = Recorder()
    with smtp_server(server) as port:
        relay(deps, mailer(port), config=CONFIG)
    return [_read(message) for message in server.received]


def _read(message: EmailMessage) -> Sent:
    files = [p for p in message.walk() if p.get_content_type() == "application/ics"]
    inline = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    to = message["To"].addresses[0].addr_spec
    if not files:
        assert inline == []
        return Sent(to, str(message["Subject"]), text_of(message), None, [], None)
    (attached,) = files
    (alternative,) = inline
    data = attached.get_payload(decode=True)
    assert isinstance(data, bytes)
    # The alternative and the attachment are the same file.
    assert alternative.get_payload(decode=True) == data
    calendar = Calendar.from_ical(data)
    method = str(calendar["METHOD"])
    assert alternative.get_param("method") == method
    events = calendar.events
    return Sent(to, str(message["Subject"]), text_of(message), method, events, calendar)


def _at_returns(deps: Deps, theme: str = "Calendars") -> Driver:
    driver = Driver.start(deps, "section_11", theme=theme)
    driver.advance("returns_open")
    return driver


def _extend(deps: Deps, driver: Driver, until: date) -> datetime:
    return work.extend_deadline(
        deps, audit=driver.reference, actor=email("coordinator"), until=until, reason="Agreed"
    )


def _when(event: Event, name: str) -> datetime:
    value = event.decoded(name)
    assert isinstance(value, datetime)
    return value


def test_each_request_carries_one_event_for_its_deadline(partnership: Deps) -> None:
    driver = _at_returns(partnership)
    sent = _send(partnership)
    asked = [s for s in sent if s.to in {email(p) for p in LEADS}]
    assert sorted(s.to for s in asked) == sorted(email(p) for p in LEADS)
    uids = set()
    for message in asked:
        assert message.method == "REQUEST"
        (event,) = message.events
        uids.add(str(event["UID"]))
        assert event.sequence == 0
        assert str(event["SUMMARY"]) == f"Return due: {driver.reference}"
        # Agency leads never sign in: no link to a page they cannot open, and no token.
        assert "URL" not in event
        assert "/act/" not in event.to_ical().decode()
        assert _when(event, "DTEND") - _when(event, "DTSTART") == timedelta(minutes=30)
        # The reader alone: nobody else's address travels in their file.
        assert str(event["ATTENDEE"]) == f"mailto:{message.to}"
    # One entry for the one deadline: the same UID for every lead, in the relay's domain.
    (uid,) = uids
    assert uid.endswith(f"@{CONFIG.mail_domain}") and driver.reference in uid
    # The chair's notice that the audit started asks for nothing by a date: no entry.
    assert all(s.method is None for s in sent if s.to == email("chair"))


def test_an_extension_moves_the_same_entry_across_the_spring_clock_change(
    partnership: Deps,
) -> None:
    driver = _at_returns(partnership)
    (first,) = [s for s in _send(partnership) if s.to == email("lead.police")]
    (original,) = first.events
    # Monday 30 March 2026, the day after the clocks go forward: 17:00 BST is 16:00 UTC.
    due = _extend(partnership, driver, date(2026, 3, 30))
    assert due == datetime(2026, 3, 30, 16, 0, tzinfo=UTC)
    (moved,) = [s for s in _send(partnership) if s.to == email("lead.police")]
    assert moved.method == "REQUEST" and "moved" in moved.subject.lower()
    (event,) = moved.events
    assert event["UID"] == original["UID"]
    assert event.sequence == original.sequence + 1
    end = _when(event, "DTEND")
    assert end.tzinfo is not None and str(event["DTEND"].params["TZID"]) == "Europe/London"
    assert (end.hour, end.minute, end.utcoffset()) == (17, 0, timedelta(hours=1))
    assert end == due
    _transitions_are_londons(moved.calendar)


def test_an_extension_into_winter_lands_at_five_in_the_afternoon_gmt(partnership: Deps) -> None:
    driver = _at_returns(partnership)
    _send(partnership)
    # Monday 26 October 2026, the day after the clocks go back: 17:00 GMT is 17:00 UTC.
    due = _extend(partnership, driver, date(2026, 10, 26))
    assert due == datetime(2026, 10, 26, 17, 0, tzinfo=UTC)
    (moved,) = [s for s in _send(partnership) if s.to == email("lead.csc")]
    (event,) = moved.events
    end = _when(event, "DTEND")
    assert (end.hour, end.minute, end.utcoffset()) == (17, 0, timedelta(0))
    assert end == due and event.sequence == 1
    _transitions_are_londons(moved.calendar)


def _transitions_are_londons(calendar: Calendar | None) -> None:
    """The file's own VTIMEZONE, read on its own, changes at 01:00 UTC on the two Sundays."""
    assert calendar is not None
    (zone,) = calendar.timezones
    assert str(zone["TZID"]) == "Europe/London"
    tz = zone.to_tz()
    offsets = {
        moment: datetime(*moment, tzinfo=UTC).astimezone(tz).utcoffset()
        for moment in ((2026, 3, 29, 0, 59), (2026, 3, 29, 1, 0), (2026, 10, 25, 0, 59))
    }
    offsets[(2026, 10, 25, 1, 0)] = (
        datetime(2026, 10, 25, 1, 0, tzinfo=UTC).astimezone(tz).utcoffset()
    )
    assert list(offsets.values()) == [
        timedelta(0),
        timedelta(hours=1),
        timedelta(hours=1),
        timedelta(0),
    ]


def test_a_met_part_and_a_withdrawal_send_cancellations_under_the_same_uid(
    partnership: Deps,
) -> None:
    driver = _at_returns(partnership)
    asked = {s.to: s.events[0] for s in _send(partnership) if s.events}
    driver.cast = Cast(returning={"police": "lead.police"})
    driver.collect_returns()
    (met,) = _send(partnership)
    assert met.to == email("lead.police") and met.method == "CANCEL"
    (event,) = met.events
    assert event["UID"] == asked[email("lead.police")]["UID"]
    assert event.sequence == 1 and str(event["STATUS"]) == "CANCELLED"
    audits.fire(
        partnership,
        audit=driver.reference,
        trigger="withdraw",
        actor=email("coordinator"),
        reason="Merged into another audit",
    )
    sent = _send(partnership)
    cancelled = {s.to: s for s in sent if s.method == "CANCEL"}
    # The two still holding it; the police's lead, whose entry was already taken back, not.
    assert sorted(cancelled) == sorted([email("lead.csc"), email("lead.health")])
    for to, message in cancelled.items():
        (event,) = message.events
        assert event["UID"] == asked[to]["UID"] and event.sequence == 2
        assert "the entry has been removed from your calendar" in " ".join(message.text.split())
    # The withdrawal notice itself asks for nothing: it carries no entry.
    assert all(s.method is None for s in sent if "withdrawn" in s.subject.lower())
