"""An outbox message as an e-mail: the relay's headers over a plain text and an HTML
alternative, ready for ``smtplib``.

Built the way ``email.mime`` builds messages, under the legacy policy (``compat32``), because
``policy.default`` parses every header as it is set and parses it again to fold it as it is
written: some 3 ms a message, ten times the templates' rendering, against half a millisecond
this way. So the encoding is done here, with the standard library's own encoders: a display name or
subject that is not ASCII becomes RFC 2047 encoded-words (the address left as it is), and each
body is UTF-8, quoted-printable, as ``policy.default`` writes it. What goes over the wire reads
the same in a mail client, and parses back the same with ``policy.default``.

An address the directory would not admit (``directory_values.EMAIL``) is left to
``policy.default``, which checks it, writes what it can (a domain beyond ASCII, say, sent as
SMTPUTF8 asks) and refuses what it cannot, as it always did.
"""

from __future__ import annotations

import quopri
from base64 import encodebytes
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache

from notifications.ical import CalendarPart
from states.rules.directory_values import EMAIL

UTF8 = "utf-8"
# RFC 2047's limit on one encoded-word.
ENCODED_WORD = 75
CALENDAR_FILE = "invite.ics"


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who a message is from and to, and what identifies it; the address lines as given."""

    sender: str  # "Name <address>", as configured
    name: str
    address: str
    date: datetime
    message_id: str


class OutgoingMessage(EmailMessage):
    """A message built under the legacy policy. ``str()`` gives its text as ``as_string()``
    does (``EmailMessage`` asks its policy for a UTF-8 option only the modern policy has)."""

    def __str__(self) -> str:
        return self.as_string()


def compose(
    envelope: Envelope,
    *,
    subject: str,
    text: str,
    html: str,
    calendar: CalendarPart | None = None,
) -> EmailMessage:
    """The e-mail, with headers a robot's message should carry and both alternatives, and
    the calendar entry when there is one (``_with_calendar``)."""
    if not (_plain(envelope.address) and _plain(_sender(envelope.sender)[1])):
        return compose_modern(envelope, subject=subject, text=text, html=html, calendar=calendar)
    message = OutgoingMessage(policy=compat32)
    message["From"] = _sender(envelope.sender)[0]
    message["To"] = _mailbox(envelope.name, envelope.address)
    # Written as it is when ASCII; otherwise the legacy policy encodes it, in encoded-words
    # short enough to fold.
    message["Subject"] = _one_line(subject)
    _common_headers(message, envelope)
    message["MIME-Version"] = "1.0"
    if calendar is None:
        message["Content-Type"] = "multipart/alternative"
        _alternatives(message, text, html, None)
        return message
    message["Content-Type"] = "multipart/mixed"
    alternatives = OutgoingMessage(policy=compat32)
    alternatives["Content-Type"] = "multipart/alternative"
    _alternatives(alternatives, text, html, calendar)
    message.attach(alternatives)
    message.attach(_calendar_file(calendar))
    return message


def _alternatives(
    message: EmailMessage, text: str, html: str, calendar: CalendarPart | None
) -> None:
    message.attach(_text_part(text, "plain"))
    message.attach(_text_part(html, "html"))
    if calendar is not None:
        message.attach(_calendar_part(calendar))


def compose_modern(
    envelope: Envelope,
    *,
    subject: str,
    text: str,
    html: str,
    calendar: CalendarPart | None = None,
) -> EmailMessage:
    """The same message under ``policy.default``, which checks and encodes every header
    itself: for addresses beyond the directory's, and the reference the quick way is held to."""
    message = EmailMessage()
    message["From"] = envelope.sender
    message["To"] = Address(display_name=envelope.name, addr_spec=envelope.address)
    message["Subject"] = subject
    _common_headers(message, envelope)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if calendar is not None:
        params = {"method": calendar.method.value, "charset": "UTF-8"}
        message.add_alternative(calendar.data, maintype="text", subtype="calendar", params=params)
        message.add_attachment(
            calendar.data, maintype="application", subtype="ics", filename=CALENDAR_FILE
        )
    return message


def _calendar_part(calendar: CalendarPart) -> OutgoingMessage:
    """The entry as the message's third alternative, ``text/calendar`` with its iTIP method:
    what Outlook and Gmail read to offer "add to calendar" or to move or remove the entry
    (the way Exchange and Google Calendar send invitations themselves)."""
    part = OutgoingMessage(policy=compat32)
    part["Content-Type"] = calendar.content_type
    _base64(part, calendar.data)
    return part


def _calendar_file(calendar: CalendarPart) -> OutgoingMessage:
    """The same entry as a file, for mail clients that show no calendar alternative."""
    part = OutgoingMessage(policy=compat32)
    part["Content-Type"] = f'application/ics; name="{CALENDAR_FILE}"'
    part["Content-Disposition"] = f'attachment; filename="{CALENDAR_FILE}"'
    _base64(part, calendar.data)
    return part


def _base64(part: OutgoingMessage, data: bytes) -> None:
    # Calendar lines are folded at 75 octets with CRLF, which must arrive as they are.
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(encodebytes(data).decode("ascii"))


def _common_headers(message: EmailMessage, envelope: Envelope) -> None:
    message["Date"] = format_datetime(envelope.date)
    message["Message-ID"] = envelope.message_id
    # Out-of-office and other robots must not answer a robot (RFC 3834; Exchange's own header).
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"


def _plain(address: str) -> bool:
    return EMAIL.fullmatch(address.lower()) is not None


@lru_cache(maxsize=8)
def _sender(configured: str) -> tuple[str, str]:
    """The configured sender as a From line, and its address; the same for every message."""
    name, address = parseaddr(configured)
    return _mailbox(name, address), address


def _mailbox(name: str, address: str) -> str:
    """ "Name <address>": an ASCII name quoted where RFC 5322 asks; any other encoded
    (RFC 2047), in as many encoded-words as keep each within its 75 characters."""
    name = _one_line(name)
    if name.isascii() and name.isprintable():
        return formataddr((name, address))
    # A folded line's length counts its leading space, so no word in it passes 74.
    return f"{Header(name, UTF8).encode(maxlinelen=ENCODED_WORD)} <{address}>"


def _one_line(value: str) -> str:
    # A line break in a header would end it and start another: folded into single spaces.
    return " ".join(value.split())


def _text_part(body: str, subtype: str) -> OutgoingMessage:
    """One alternative, UTF-8 and quoted-printable (lines of at most 76 characters that stay
    readable as they are), ending in a line break, as ``policy.default`` writes it."""
    part = OutgoingMessage(policy=compat32)
    part["Content-Type"] = f'text/{subtype}; charset="{UTF8}"'
    part["Content-Transfer-Encoding"] = "quoted-printable"
    lines = body.encode(UTF8).splitlines()
    part.set_payload(quopri.encodestring(b"\n".join(lines) + b"\n").decode("ascii"))
    return part
