"""The outbox relay's throughput, with a connection per message and with connections reused,
against a bare smtplib loop over one connection.

Run: ``python -m bench.relay [--messages 2000]``

Two fresh SQLite databases each get the same due reminders, queued by the engine's own sweep
(``bench.sweep`` builds them). The relay sends one database's outbox with a connection per
message (a session cap of 1, the old behaviour) and the other's reusing connections (the
default cap), in rounds of its default batch until nothing is due; then smtplib alone sends
the same messages, already built, over one connection. The server is aiosmtpd on loopback in
a process of its own, so its work does not share this process's interpreter lock; it counts
connections and Message-IDs and keeps nothing. Every run must deliver each message exactly
once. The ratio printed is the reused relay's rate over bare smtplib's (the aim is >= 0.5).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import re
import smtplib
import socket
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from email.message import EmailMessage
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP
from sqlalchemy import select

from bench.sweep import NOW, build
from notifications.calendars import calendar_for
from notifications.capture import quiet_server_log
from notifications.relay import Pending, build_message, message_id, relay
from notifications.smtp import SmtpMailer
from states.persistence import tables as t
from states.services.deps import Deps
from states.services.sweep import sweep

LOOPBACK = "127.0.0.1"
# The relay's own batch: a round, a bare batch and a reused connection all carry a hundred.
BATCH = 100
MESSAGE_ID = re.compile(rb"^Message-ID: *(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Config:
    mail_from: str = "OSCP Learning Hub <learning-hub@oscp.example.org>"
    base_url: str = "http://127.0.0.1:8000"
    mail_domain: str = "oscp.example.org"


CONFIG = Config()


@dataclass(frozen=True)
class Delivered:
    """What the server accepted since it was last asked: Message-IDs and connections."""

    ids: Counter[str]
    connections: int


class Tally:
    """The server's handler: counts each message by its Message-ID, and keeps nothing else."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.connections = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        found = MESSAGE_ID.search(envelope.content)
        self.ids[found.group(1).decode() if found else "(none)"] += 1
        return "250 OK"

    def take(self) -> Delivered:
        taken = Delivered(self.ids, self.connections)
        self.ids, self.connections = Counter(), 0
        return taken


def serve(channel: Connection) -> None:
    """The server process: sends its port, then answers "take" until told "stop"."""
    quiet_server_log()
    tally = Tally()
    loop = asyncio.new_event_loop()

    def protocol() -> SMTP:
        tally.connections += 1
        return SMTP(tally, loop=loop)

    with socket.create_server((LOOPBACK, 0)) as sock:
        # A real mail server answers EHLO in one write; aiosmtpd writes a line at a time,
        # which without this waits on the client's delayed ACK (about 40 ms a connection).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server = loop.run_until_complete(loop.create_server(protocol, sock=sock))
        channel.send(sock.getsockname()[1])
        threading.Thread(target=answer, args=(channel, tally, loop), daemon=True).start()
        loop.run_forever()
        server.close()


def answer(channel: Connection, tally: Tally, loop: asyncio.AbstractEventLoop) -> None:
    while channel.recv() == "take":
        # Asked between runs, once every message has had its answer: the loop is idle.
        channel.send(tally.take())
    loop.call_soon_threadsafe(loop.stop)


@contextmanager
def counting_server() -> Iterator[tuple[int, Callable[[], Delivered]]]:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=serve, args=(theirs,), daemon=True)
    process.start()

    def take() -> Delivered:
        ours.send("take")
        delivered: Delivered = ours.recv()
        return delivered

    try:
        yield ours.recv(), take
    finally:
        ours.send("stop")
        process.join(10)
        if process.is_alive():
            process.terminate()


def queued(folder: Path, messages: int) -> Deps:
    """A database whose outbox holds ``messages`` due reminders, queued by the sweep."""
    folder.mkdir()
    deps = build(folder, messages, messages)
    assert sweep(deps).messages == messages
    return deps


def outbox(deps: Deps) -> list[Pending]:
    o, person = t.outbox, t.person
    query = (
        select(o.c.id, o.c.key, o.c.kind, o.c.context, o.c.attempts, person.c.name)
        .add_columns(
            person.c.email, o.c.audit_id, o.c.recipient_id, o.c.subject_id, o.c.link_purpose
        )
        .join(person, person.c.id == o.c.recipient_id)
        .order_by(o.c.id)
    )
    with deps.uow(readonly=True) as uow:
        return [Pending(*row) for row in uow.connection.execute(query)]


def expected(deps: Deps) -> set[str]:
    return {message_id(row.id, row.key, CONFIG.mail_domain) for row in outbox(deps)}


@dataclass
class Run:
    """One way of sending, taken a batch at a time: its own server, its time and its count."""

    what: str
    step: Callable[[], int]  # sends the next batch; how many went
    take: Callable[[], Delivered]
    seconds: float = 0.0
    sent: int = 0

    def timed_step(self) -> int:
        started = time.perf_counter()
        sent = self.step()
        self.seconds += time.perf_counter() - started
        self.sent += sent
        return sent

    @property
    def rate(self) -> float:
        return self.sent / self.seconds


def relay_round(deps: Deps, mailer: SmtpMailer) -> int:
    result = relay(deps, mailer, config=CONFIG, batch=BATCH)
    assert (result.deferred, result.failed) == (0, 0), result
    return result.sent


def bare_batch(smtp: smtplib.SMTP, messages: list[EmailMessage]) -> int:
    batch, messages[:] = messages[:BATCH], messages[BATCH:]
    for message in batch:
        smtp.send_message(message)
    return len(batch)


def exactly_once(delivered: Delivered, ids: set[str], what: str) -> None:
    doubled = sum(n - 1 for n in delivered.ids.values())
    lost = len(ids - set(delivered.ids))
    assert (doubled, lost) == (0, 0), f"{what}: {doubled} doubled, {lost} lost"


def compare(runs: list[Run]) -> None:
    """A batch of each in turn, the order rotating, until none has anything left: the three
    meet the same load on a shared machine rather than one of them its quiet minute."""
    for turn in itertools.count():
        order = runs[turn % len(runs) :] + runs[: turn % len(runs)]
        if not sum(run.timed_step() for run in order):
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=2_000)
    args = parser.parse_args()
    n = args.messages
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        (single_port, single_take), (port, take), (bare_port, bare_take) = (
            stack.enter_context(counting_server()) for _ in range(3)
        )
        single, reused = queued(Path(folder, "single"), n), queued(Path(folder, "reused"), n)
        # The sweep's reminders, and the chair's notice that the audit started.
        ids = expected(reused)
        assert expected(single) == ids and len(ids) == n + 1
        # Built before any timing, which also compiles the templates for the relay runs; each
        # with the calendar entry the relay attaches, so both send the same bytes and the
        # relay alone pays for reading and writing the entries.
        messages = [
            build_message(row, CONFIG, NOW, calendar=calendar_for(reused, row, CONFIG, NOW))
            for row in outbox(reused)
        ]
        smtp = stack.enter_context(smtplib.SMTP(LOOPBACK, bare_port, timeout=30))
        mailer = SmtpMailer(host=LOOPBACK, port=port, timeout=30)
        one_each = replace(mailer, port=single_port, per_connection=1)  # the old behaviour
        print(f"{n:,} due reminders queued by the sweep, on SQLite; aiosmtpd in its own process")
        runs = [
            Run(
                "relay, a connection per message",
                lambda: relay_round(single, one_each),
                single_take,
            ),
            Run("relay, connections reused", lambda: relay_round(reused, mailer), take),
            Run("bare smtplib, one connection", lambda: bare_batch(smtp, messages), bare_take),
        ]
        compare(runs)
        for run in runs:
            delivered = run.take()
            assert run.sent == len(ids), f"{run.what}: sent {run.sent} of {len(ids)}"
            exactly_once(delivered, ids, run.what)
            print(
                f"  {run.what}: {run.rate:,.0f} messages/s "
                f"({run.seconds:.2f} s, {delivered.connections:,} connections)"
            )
    print("  every message arrived exactly once (by Message-ID) in each run")
    per_message, reused_rate, bare_rate = (run.rate for run in runs)
    print(f"reuse speed-up: {reused_rate / per_message:.2f}x over a connection per message")
    print(f"ratio: {reused_rate / bare_rate:.2f}")


if __name__ == "__main__":
    main()
