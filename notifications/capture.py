"""Local mail capture for the embedded default: an SMTP server on loopback that keeps every
message in a Maildir under ``OSCP_HOME/mail`` instead of delivering it.

A newcomer's machine thereby sends no real e-mail, yet every message the engine would send
can be read (``oscp mail list`` / ``oscp mail show``) or opened in any Maildir-aware client.
"""

from __future__ import annotations

import logging
import mailbox
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from states.errors import NotFound

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8025
# aiosmtpd logs each envelope's sender and recipients at INFO; they are people's addresses.
SERVER_LOGGER = "mail.log"


def mail_dir(home: Path) -> Path:
    return home / "mail"


class MaildirHandler:
    """aiosmtpd handler: each message accepted is one file in the Maildir."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Created here, not in the server's thread, so the folder exists before any message.
        mailbox.Maildir(directory, create=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        # A fresh Maildir object per message: it caches nothing that could go stale, and
        # Maildir's own unique names make concurrent writers safe.
        mailbox.Maildir(self.directory, create=True).add(content)
        return "250 Message accepted for delivery"


def quiet_server_log() -> None:
    """Keep addresses out of the logs, whatever level the application logs at."""
    logging.getLogger(SERVER_LOGGER).setLevel(logging.WARNING)


def start_capture(home: Path, *, port: int = DEFAULT_PORT) -> Controller:
    """Start the capture server on loopback (never another interface); call ``stop()``."""
    quiet_server_log()
    controller = Controller(MaildirHandler(mail_dir(home)), hostname=LOOPBACK, port=port)
    controller.start()
    return controller


@dataclass(frozen=True)
class Captured:
    number: int
    date: datetime | None
    sender: str
    recipient: str
    subject: str


def _messages(home: Path) -> list[tuple[str, EmailMessage]]:
    """Captured messages in the order they arrived (delivery time, then Maildir name)."""
    directory = mail_dir(home)
    if not directory.exists():
        return []
    box = mailbox.Maildir(directory, create=False)
    found = sorted((box.get_message(key).get_date(), key) for key in box.iterkeys())
    parser = BytesParser(policy=policy.default)
    return [(key, parser.parsebytes(box.get_bytes(key))) for _when, key in found]


def captured(home: Path) -> list[Captured]:
    return [
        Captured(
            number=number,
            date=_date(message),
            sender=str(message.get("From", "")),
            recipient=str(message.get("To", "")),
            # A folded header can keep the space its continuation began with.
            subject=str(message.get("Subject", "")).strip(),
        )
        for number, (_key, message) in enumerate(_messages(home), start=1)
    ]


def _date(message: EmailMessage) -> datetime | None:
    header = message.get("Date")
    try:
        return parsedate_to_datetime(str(header)) if header else None
    except (TypeError, ValueError):
        return None


def read_captured(home: Path, number: int) -> EmailMessage:
    """The ``number``-th captured message (as ``captured`` numbers them)."""
    messages = _messages(home)
    if not 1 <= number <= len(messages):
        raise NotFound("captured message", number)
    return messages[number - 1][1]
