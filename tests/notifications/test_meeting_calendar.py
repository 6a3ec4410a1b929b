"""A meeting scheduled, moved and cancelled, each invitation captured from a real SMTP server
(aiosmtpd on loopback) as the relay sends it: every attendee's messages carry the same UID,
SEQUENCE 0, 1, 2 and METHOD REQUEST, REQUEST, CANCEL, at the right London times across the
clocks going back on 25 October 2026; someone taken off the list gets a CANCEL of their own;
no message carries the reason for cancelling."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from icalendar import Calendar

from notifications.relay import relay
from states.services import meetings
from states.services.deps import Deps
from tests.notifications.relay_once import Config
from tests.support.meetings import at_moderation, plan
from tests.support.partnership import email
from tests.support.smtp import Recorder, mailer, smtp_server, text_of

CONFIG = Config()
LONDON = ZoneInfo("Europe/London")
REASON = "Sentinel Zqxreason: the chair is away"


def _send(deps: Deps, server: Recorder, port: int) -> list[EmailMessage]:
    """One relay round to the server; the meeting messages it received in that round."""
    before = len(server.received)
    relay(deps, mailer(port), config=CONFIG)
    return [m for m in server.received[before:] if _calendar(m) is not None]


def _calendar(message: EmailMessage) -> Calendar | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return Calendar.from_ical(part.get_content())
    return None


def _by_reader(messages: list[EmailMessage]) -> dict[str, Calendar]:
    found: dict[str, Calendar] = {}
    for message in messages:
        calendar = _calendar(message)
        assert calendar is not None
        found[str(message["To"].addresses[0].addr_spec)] = calendar
    return found


def _event(calendar: Calendar) -> dict[str, object]:
    (event,) = calendar.walk("VEVENT")
    return {
        "method": str(calendar["METHOD"]),
        "uid": str(event["UID"]),
        "sequence": int(str(event["SEQUENCE"])),
        "start": event.decoded("DTSTART"),
        "end": event.decoded("DTEND"),
        "attendees": sorted(str(a).removeprefix("mailto:") for a in _list(event.get("ATTENDEE"))),
        "location": str(event.get("LOCATION", "")),
    }


def _list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def test_scheduled_moved_and_cancelled_across_the_clock_change(partnership: Deps) -> None:
    deps = partnership
    reference = at_moderation(deps).reference
    server = Recorder()
    seen: dict[str, list[dict[str, object]]] = defaultdict(list)
    with smtp_server(server) as port:
        relay(deps, mailer(port), config=CONFIG)  # what driving the audit queued
        # Friday 23 October 2026, 10:00 British Summer Time (09:00 UTC)...
        meetings.schedule(
            deps,
            audit=reference,
            actor=email("chair"),
            plan=plan(date(2026, 10, 23), who=("chair", "lead.police", "auditor.one")),
        )
        first = _by_reader(_send(deps, server, port))
        # ...moved past the clocks going back: Monday 26 October, 10:00 GMT (10:00 UTC), and
        # the auditor is no longer needed.
        meetings.move(
            deps,
            audit=reference,
            actor=email("coordinator"),
            plan=plan(
                date(2026, 10, 26),
                "10:00",
                "11:30",
                link="https://meet.example.org/discussion",
                who=("chair", "lead.police"),
            ),
        )
        second = _by_reader(_send(deps, server, port))
        meetings.cancel(deps, audit=reference, actor=email("chair"), reason=REASON)
        cancelled = _send(deps, server, port)
        third = _by_reader(cancelled)
    for round_ in (first, second, third):
        for reader, calendar in round_.items():
            seen[reader].append(_event(calendar))

    stayed = [email("chair"), email("lead.police")]
    for reader in stayed:
        events = seen[reader]
        assert [e["method"] for e in events] == ["REQUEST", "REQUEST", "CANCEL"]
        assert [e["sequence"] for e in events] == [0, 1, 2]
        assert len({e["uid"] for e in events}) == 1
        assert str(events[0]["uid"]).endswith(f"@{CONFIG.mail_domain}")
        first_start, moved_start = events[0]["start"], events[1]["start"]
        assert isinstance(first_start, datetime) and isinstance(moved_start, datetime)
        # Written in London time with its zone: 10:00 each day, an hour apart in UTC.
        assert (first_start.hour, moved_start.hour) == (10, 10)
        assert first_start.astimezone(UTC) == datetime(2026, 10, 23, 9, tzinfo=UTC)
        assert moved_start.astimezone(UTC) == datetime(2026, 10, 26, 10, tzinfo=UTC)
        assert events[1]["end"] == moved_start + timedelta(minutes=90)
        assert events[1]["attendees"] == sorted(stayed)
        assert "https://meet.example.org/discussion" in str(events[1]["location"])

    # The auditor taken off the list: invited, then a CANCEL of their own under the same UID.
    auditor = seen[email("auditor.one")]
    assert [(e["method"], e["sequence"]) for e in auditor] == [("REQUEST", 0), ("CANCEL", 1)]
    assert auditor[1]["uid"] == seen[email("chair")][0]["uid"]
    assert auditor[1]["attendees"] == [email("auditor.one")]

    for message in cancelled:
        assert "Zqxreason" not in message.as_string()
        assert "Zqxreason" not in text_of(message)
    assert "Monday 26 October 2026 at 10:00" in text_of(cancelled[0])


def test_a_vtimezone_for_london_travels_with_the_entry(partnership: Deps) -> None:
    deps = partnership
    reference = at_moderation(deps).reference
    server = Recorder()
    with smtp_server(server) as port:
        relay(deps, mailer(port), config=CONFIG)
        meetings.schedule(
            deps, audit=reference, actor=email("chair"), plan=plan(date(2026, 10, 23))
        )
        (message, *_) = _send(deps, server, port)
    calendar = _calendar(message)
    assert calendar is not None
    zones = [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")]
    assert zones == ["Europe/London"]
    attached = [p for p in message.walk() if p.get_filename() == "invite.ics"]
    assert len(attached) == 1
    assert "Room 4, Civic Centre" in text_of(message)
