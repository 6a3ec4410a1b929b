"""The nation's mail server: a real SMTP server (aiosmtpd) on loopback, in a process of its
own, that keeps of each message only what the simulation's people need and what the year's
checks count.

People read their e-mail as people do: the recipient, the subject and the link in the text;
the server hands each letter to the simulation through a queue. Its own process parses the
mail on the machine's other core, as a real mail server would, instead of taking turns with
the engine for one interpreter. At the end it reports its tallies: each Message-ID's count
(every e-mail exactly once), each reminder's date (sent on working days at 09:00 London), any
message naming a case (never), and how many connections the relay opened.
"""

from __future__ import annotations

import multiprocessing
import queue
import re
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from multiprocessing.connection import Connection
from typing import Any

from aiosmtpd.controller import Controller

from notifications.capture import quiet_server_log

LOOPBACK = "127.0.0.1"
LINK = re.compile(r"/act/([A-Za-z0-9_-]{20,})")
# How the simulation's case references look (``desk.case_reference``): never in an e-mail.
CASE = re.compile(rb"AUD-[0-9A-Z]{8}-C\d{2}")
CHASING = ("Reminder:", "Overdue:", "Escalation:")
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Letter:
    """One e-mail as its reader sees it."""

    to: str
    subject: str
    sent: datetime
    token: str | None


@dataclass
class Tallies:
    """What the server counted over the year."""

    ids: Counter[str] = field(default_factory=Counter)
    chasers: list[datetime] = field(default_factory=list)
    naming_a_case: int = 0
    connections: int = 0


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return "" if body is None else str(body.get_content())


class Sorting:
    """aiosmtpd handler: reads each message once, posts the reader's part, keeps the tallies."""

    def __init__(self, letters: Any) -> None:
        self.letters = letters
        self.tallies = Tallies()
        self.parser = BytesParser(policy=policy.default)

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        self.tallies.connections += 1
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        message = self.parser.parsebytes(raw)
        assert isinstance(message, EmailMessage)
        found = LINK.search(_text(message))
        subject = str(message["Subject"])
        sent = parsedate_to_datetime(str(message["Date"]))
        self.letters.put(
            Letter(envelope.rcpt_tos[0].lower(), subject, sent, found.group(1) if found else None)
        )
        self.tallies.ids[str(message["Message-ID"])] += 1
        if subject.startswith(CHASING):
            self.tallies.chasers.append(sent)
        if CASE.search(raw):
            self.tallies.naming_a_case += 1
        return "250 OK"


def _serve(port: int, letters: Any, control: Connection) -> None:
    quiet_server_log()
    handler = Sorting(letters)
    controller = Controller(handler, hostname=LOOPBACK, port=port)
    controller.start()
    control.send("ready")
    control.recv()  # told to stop
    controller.stop()
    control.send(handler.tallies)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


class MailServer:
    """The server for the length of a ``with`` block: ``port`` is where to send, ``take``
    gives the letters delivered since the last call, ``tallies`` is filled on leaving."""

    def __init__(self) -> None:
        self.port = free_port()
        context = multiprocessing.get_context("spawn")
        self._letters = context.Queue()
        self._control, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(self.port, self._letters, child), daemon=True
        )
        self.tallies = Tallies()
        self._lock = threading.Lock()

    def __enter__(self) -> MailServer:
        self._process.start()
        if not self._control.poll(START_TIMEOUT) or self._control.recv() != "ready":
            raise RuntimeError("the simulation's mail server did not start")
        return self

    def take(self) -> list[Letter]:
        letters = []
        with self._lock:
            while True:
                try:
                    letters.append(self._letters.get_nowait())
                except queue.Empty:
                    return letters

    def close(self) -> list[Letter]:
        """Stop the server; the letters still unread, once its tallies are in."""
        self._control.send("stop")
        self.tallies = self._control.recv()
        self._process.join(START_TIMEOUT)
        return self.take()

    def __exit__(self, *exc: object) -> None:
        if self._process.is_alive():
            self._control.send("stop")
            self._process.join(START_TIMEOUT)
