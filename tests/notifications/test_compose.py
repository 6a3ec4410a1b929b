"""Composing e-mails: the quick way (the legacy policy, encoded here) reads the same to a mail
client as ``policy.default``'s own, for every kind of message; names and subjects that are not
ASCII arrive as written; nothing in a name can add a header."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.errors import NonASCIILocalPartDefect
from email.generator import BytesGenerator
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser, Parser
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import update

from notifications.compose import Envelope, compose, compose_modern
from notifications.ical import CalendarPart, Entry, Method, Person, calendar_file
from notifications.relay import RelayResult, relay
from notifications.render import render_message
from states.persistence import tables as t
from states.persistence.notices import ACCOUNT_KINDS, KINDS, audit_context
from states.services import audits
from states.services.deps import Deps
from tests.support.partnership import email
from tests.support.relay import CONFIG
from tests.support.smtp import Recorder, mailer, smtp_server, text_of

ENVELOPE = Envelope(
    sender="OSCP Learning Hub <learning-hub@oscp.example.org>",
    name="Amira O'Neill",
    address="amira.oneill@police.example.org",
    date=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    message_id="<oscp.7.0123456789abcdef@oscp.example.org>",
)
NAME = "Siân Ó Dálaigh-Nguyễn"
SUBJECT = "Rappel : l'audit MACE-2026-004 (Négligence — «Zoë») est dû dans 5 jours"
ENCODED_WORD = re.compile(rb"=\?utf-8\?[bq]\?[^?]*\?=", re.IGNORECASE)


def wire(message: EmailMessage, *, utf8: bool = False) -> bytes:
    """The bytes ``smtplib.SMTP.send_message`` sends for the message (with ``utf8``, to a
    server that offers SMTPUTF8: ``policy.default`` allowed UTF-8 headers)."""
    with io.BytesIO() as out:
        chosen = policy.default.clone(utf8=True) if utf8 else None
        BytesGenerator(out, policy=chosen).flatten(message, linesep="\r\n")
        return out.getvalue()


def received(message: EmailMessage, *, utf8: bool = False) -> EmailMessage:
    data = wire(message, utf8=utf8)
    # An SMTPUTF8 message's headers are UTF-8 text, which a server reads as such.
    parser = Parser(policy=policy.default)
    parsed = (
        parser.parsestr(data.decode())
        if utf8
        else BytesParser(policy=policy.default).parsebytes(data)
    )
    assert isinstance(parsed, EmailMessage)
    return parsed


def reading(message: EmailMessage) -> dict[str, Any]:
    """What a mail client shows of a message: its headers decoded, its parts and their text."""
    return {
        "from": [(a.display_name, a.addr_spec) for a in message["From"].addresses],
        "to": [(a.display_name, a.addr_spec) for a in message["To"].addresses],
        "date": message["Date"].datetime,
        "message_id": message["Message-ID"],
        "robots": (message["Auto-Submitted"], message["X-Auto-Response-Suppress"]),
        "type": message.get_content_type(),
        "parts": [
            (part.get_content_type(), part.get_content_charset(), part.get_content())
            for part in message.iter_parts()
        ],
        "defects": [*message.defects, *(d for p in message.iter_parts() for d in p.defects)],
    }


def lines(message: EmailMessage) -> list[bytes]:
    return wire(message).split(b"\r\n")


def context(kind: str, theme: str) -> dict[str, str]:
    """Every key a message of the kind may carry, as a real one would have it."""
    if kind in ACCOUNT_KINDS:
        since = "2025-12-12T09:30:00+00:00"
        return {"failures": "12", "addresses": "3", "since": since, "link_path": "/account/pw"}
    return audit_context(
        "MACE-2026-004",
        theme,
        audit_title="Thematic multi-agency case file audit (MACE)",
        state_title="Case audits open",
        deadline_at="2025-12-12T17:00:00+00:00",
        step={"reminder": "before:5", "overdue": "overdue:2"}.get(kind, "on_day"),
        agency="Greater Manchester Police",
        agencies="Example Primary School; Example Early Years",
        decision="approve",
        # A deadline's calendar entry (deadline_moved, deadline_cancelled): an action's.
        calendar_entry="7",
        due="action",
        action="3",
        # The audit discussion's invitations.
        starts_at="2026-10-23T09:00:00+00:00",
        ends_at="2026-10-23T11:00:00+00:00",
        place="Room 4, Civic Centre",
        online_link="https://meet.example.org/oscp-discussion",
    )


@pytest.mark.parametrize("theme", ["Domestic abuse", "Négligence — «Zoë»"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_reads_as_the_modern_policy_writes_it(kind: str, theme: str) -> None:
    rendered = render_message(
        kind, context(kind, theme), recipient_name=NAME, base_url="https://oscp.example.org"
    )
    envelope = replace(ENVELOPE, name=NAME)
    quick, modern = (
        build(envelope, subject=rendered.subject, text=rendered.text, html=rendered.html)
        for build in (compose, compose_modern)
    )
    assert reading(received(quick)) == reading(received(modern))
    # The subject exactly as rendered. (policy.default, on Python 3.11, loses or doubles
    # spaces beside the encoded-words of some long subjects beyond ASCII, and may fold one
    # before its first word, so that it reads back with a leading space.)
    assert str(received(quick)["Subject"]) == rendered.subject
    assert reading(received(quick))["defects"] == []
    assert max(len(line) for line in lines(quick)) <= 78


def test_a_name_and_subject_beyond_ascii_arrive_as_written() -> None:
    envelope = replace(ENVELOPE, name=NAME)
    text = f"Dear {NAME},\n\nThe audit is due — «soon».\n"
    html = f"<p>Dear {NAME},</p><p>The audit\N{RIGHT SINGLE QUOTATION MARK}s due.</p>\n"
    message = compose(envelope, subject=SUBJECT, text=text, html=html)
    data = wire(message)
    assert data.isascii()  # RFC 2047 in the headers, quoted-printable in the bodies
    headers = data.split(b"\r\n\r\n", 1)[0]
    assert len(ENCODED_WORD.findall(headers)) >= 2
    back = received(message)
    assert [(a.display_name, a.addr_spec) for a in back["To"].addresses] == [
        (NAME, ENVELOPE.address)
    ]
    assert str(back["Subject"]) == SUBJECT
    # Lines end in CRLF on the wire, as they do however the message was built.
    bodies = [part.get_content().replace("\r\n", "\n") for part in back.iter_parts()]
    assert bodies == [text, html]
    assert back.defects == []


def test_a_long_name_beyond_ascii_is_folded_into_encoded_words_of_at_most_75() -> None:
    name = f"{NAME} Thị Minh Khai, Designated Safeguarding Lead für Kinder- und Jugendhilfe"
    message = compose(replace(ENVELOPE, name=name), subject=SUBJECT, text="Hello", html="")
    data = wire(message)
    assert all(len(word) <= 75 for word in ENCODED_WORD.findall(data))
    assert max(len(line) for line in lines(message)) <= 78
    # Read as RFC 2047 says (the space between two encoded-words is no part of the name).
    raw = message_from_bytes(data)["To"]
    assert str(make_header(decode_header(raw))) == f"{name} <{ENVELOPE.address}>"


def test_a_line_break_in_a_name_adds_no_header() -> None:
    envelope = replace(ENVELOPE, name="Eve\r\nBcc: someone@example.org")
    back = received(compose(envelope, subject="Hello\r\nBcc: x@example.org", text="", html=""))
    assert back["Bcc"] is None
    assert [a.addr_spec for a in back["To"].addresses] == [ENVELOPE.address]
    assert str(back["Subject"]) == "Hello Bcc: x@example.org"


def test_an_address_beyond_the_directorys_is_left_to_the_modern_policy() -> None:
    # A domain beyond ASCII goes as SMTPUTF8 asks (smtplib writes it so when the server
    # offers SMTPUTF8) ...
    envelope = replace(ENVELOPE, name=NAME, address="zoe@bücher.example")
    back = received(compose(envelope, subject=SUBJECT, text="Hello", html=""), utf8=True)
    assert [(a.display_name, a.addr_spec) for a in back["To"].addresses] == [
        (NAME, "zoe@bücher.example")
    ]
    assert str(back["Subject"]).strip() == SUBJECT
    # ... and what the modern policy cannot write fails to compose, as it always did.
    with pytest.raises(NonASCIILocalPartDefect):
        compose(replace(ENVELOPE, address="siân@example.org"), subject="", text="", html="")


def test_its_text_is_what_goes() -> None:
    message = compose(ENVELOPE, subject="Hello", text="Hello", html="<p>Hello</p>")
    assert str(message) == message.as_string()
    assert "Subject: Hello" in str(message)


def test_the_relay_sends_a_name_and_theme_beyond_ascii_as_written(partnership: Deps) -> None:
    deps = partnership
    theme = "Négligence — «Zoë»"
    with deps.uow() as uow:
        uow.connection.execute(
            update(t.person).where(t.person.c.email == email("chair")).values(name=NAME)
        )
        uow.commit()
    reference = audits.start_audit(
        deps, audit_type="mace", theme=theme, lead=email("chair"), actor=email("coordinator")
    ).reference
    server = Recorder()
    with smtp_server(server) as port:
        assert relay(deps, mailer(port), config=CONFIG).sent >= 1
        assert relay(deps, mailer(port), config=CONFIG) == RelayResult()
    (message,) = [m for m in server.received if email("chair") in str(m["To"])]
    assert [a.display_name for a in message["To"].addresses] == [NAME]
    assert str(message["Subject"]) == f"You are chairing OSCP audit {reference} ({theme})"
    assert NAME in text_of(message) and theme in text_of(message)
    assert message.defects == []


def _entry_file(method: Method) -> CalendarPart:
    entry = Entry(
        uid="deadline-7@oscp.example.org",
        sequence=2,
        summary="Return due: MACE-2026-004",
        start=datetime(2026, 10, 26, 16, 30, tzinfo=UTC),
        end=datetime(2026, 10, 26, 17, 0, tzinfo=UTC),
        stamp=ENVELOPE.date,
        organizer=Person("OSCP Learning Hub", "learning-hub@oscp.example.org"),
        attendees=[Person(NAME, ENVELOPE.address)],
    )
    return calendar_file(entry, method)


@pytest.mark.parametrize("method", list(Method))
@pytest.mark.parametrize("build", [compose, compose_modern])
def test_a_calendar_entry_goes_as_an_alternative_and_as_a_file(build: Any, method: Method) -> None:
    part = _entry_file(method)
    message = build(replace(ENVELOPE, name=NAME), subject=SUBJECT, text="Due", html="<p>Due</p>")
    with_entry = build(
        replace(ENVELOPE, name=NAME), subject=SUBJECT, text="Due", html="<p>Due</p>", calendar=part
    )
    assert message.get_content_type() == "multipart/alternative"
    back = received(with_entry)
    assert back.get_content_type() == "multipart/mixed"
    alternatives, attached = back.iter_parts()
    kinds = [p.get_content_type() for p in alternatives.iter_parts()]
    assert kinds == ["text/plain", "text/html", "text/calendar"]
    invitation = list(alternatives.iter_parts())[2]
    assert invitation.get_param("method") == method.value
    assert attached.get_filename() == "invite.ics"
    for carried in (invitation, attached):
        data = carried.get_payload(decode=True)
        assert data == part.data  # byte for byte: CRLF and folding intact
        (event,) = Calendar.from_ical(data).walk("VEVENT")
        assert str(event["UID"]) == "deadline-7@oscp.example.org"
        assert event.decoded("SEQUENCE") == 2
    assert back.defects == []
