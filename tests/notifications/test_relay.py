"""The outbox relay against a real SMTP server (aiosmtpd on loopback), on SQLite and PostgreSQL.

Time moves only when a test advances the fake clock; the one real process boundary is the
crash test, which kills a relay subprocess with SIGKILL between the server's acceptance and
the relay's mark.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from collections import defaultdict
from concurrent.futures import Future
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.pool import QueuePool

from notifications.relay import CLAIM, RelayResult, backoff, relay
from states.clock import FakeClock, as_utc
from states.persistence import notices
from states.persistence import tables as t
from states.services.deps import Deps
from tests.conftest import ROOT
from tests.support.partnership import agency_name, email
from tests.support.ports import free_port
from tests.support.relay import CONFIG, expected_ids, outbox, raise_concern
from tests.support.smtp import Recorder, mailer, smtp_server, text_of

MESSAGE_ID = re.compile(r"<oscp\.(\d+)\.([0-9a-f]{16})@oscp\.example\.org>")
POLICE = agency_name("police")
SCRIPT = Path(__file__).with_name("relay_once.py")


class PoolProbe(Recorder):
    """Notes how many database connections the relay holds while the server has the message:
    any held connection would mean a transaction kept open across SMTP."""

    def __init__(self, deps: Deps) -> None:
        super().__init__()
        pool = deps.uow.engine.pool
        assert isinstance(pool, QueuePool)
        self.pool = pool
        self.held: list[int] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.held.append(self.pool.checkedout())
        return await super().handle_DATA(server, session, envelope)


def test_messages_go_once_as_text_and_html(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    reference = raise_concern(deps)
    server = PoolProbe(deps)
    with smtp_server(server) as port:
        assert relay(deps, mailer(port), config=CONFIG) == RelayResult(sent=2)
        assert relay(deps, mailer(port), config=CONFIG) == RelayResult()
    assert server.held == [0, 0]
    assert sorted(server.envelopes) == [(email("chair"),), (email("lsp.police"),)]
    for envelope, message in zip(server.envelopes, server.received, strict=True):
        assert [a.addr_spec for a in message["To"].addresses] == list(envelope)
        # The concern asks for assurance by a date: its calendar entry comes as a third
        # alternative and as a file (tests/notifications/test_deadline_calendar.py).
        assert message.get_content_type() == "multipart/mixed"
        alternatives, attached = message.iter_parts()
        assert [p.get_content_type() for p in alternatives.iter_parts()] == [
            "text/plain",
            "text/html",
            "text/calendar",
        ]
        assert attached.get_content_type() == "application/ics"
        assert message["Subject"].startswith(
            f"Immediate-risk concern: assurance needed from {POLICE}"
        )
        assert reference in message["Subject"]
        assert message["From"] == CONFIG.mail_from
        assert message["Auto-Submitted"] == "auto-generated"
        assert parsedate_to_datetime(message["Date"]) == clock.now()
        assert MESSAGE_ID.fullmatch(message["Message-ID"])
        # The police's strategic lead gets a single-use link to give assurance; the chair the
        # audit's page.
        link = "/act/" if "lsp.police" in str(message["To"]) else f"/audits/{reference}"
        assert f"http://127.0.0.1:8000{link}" in text_of(message)
        assert "Unsafe practice" not in message.as_string()
    assert {m["Message-ID"] for m in server.received} == expected_ids(deps)
    assert all(as_utc(row.sent_at) == clock.now() for row in outbox(deps))


def test_a_down_server_defers_everything_and_loses_nothing(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    raise_concern(deps, "One")
    raise_concern(deps, "Two")
    port = free_port()
    assert relay(deps, mailer(port), config=CONFIG) == RelayResult(deferred=4)
    for row in outbox(deps):
        assert (row.sent_at, row.failed_at, row.attempts) == (None, None, 1)
        assert row.last_error == "DeliveryDeferred: ConnectionRefusedError"
        wait = as_utc(row.next_attempt_at) - clock.now()
        assert timedelta(seconds=48) <= wait <= timedelta(minutes=1)
    # Not due yet: nothing is tried, nothing changes.
    assert relay(deps, mailer(port), config=CONFIG) == RelayResult()

    clock.advance(timedelta(minutes=1))
    server = Recorder()
    with smtp_server(server, port):
        assert relay(deps, mailer(port), config=CONFIG) == RelayResult(sent=4)
        assert relay(deps, mailer(port), config=CONFIG) == RelayResult()
    received = [m["Message-ID"] for m in server.received]
    assert len(received) == 4 and set(received) == expected_ids(deps)


def test_a_busy_server_is_retried_with_backoff_then_given_up(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    raise_concern(deps)
    server = Recorder()
    server.answers[email("chair")] = "451 4.3.0 Mailbox busy, try again later"
    with smtp_server(server) as port:
        assert relay(deps, mailer(port), config=CONFIG) == RelayResult(sent=1, deferred=1)
        (busy,) = [row for row in outbox(deps) if row.sent_at is None]
        waits = [as_utc(busy.next_attempt_at) - clock.now()]
        for attempt in range(2, 11):
            clock.advance(waits[-1])
            result = relay(deps, mailer(port), config=CONFIG)
            (busy,) = [row for row in outbox(deps) if row.sent_at is None]
            assert busy.attempts == attempt
            if attempt < 10:
                assert result == RelayResult(deferred=1)
                waits.append(as_utc(busy.next_attempt_at) - clock.now())
        assert result == RelayResult(failed=1)
        assert as_utc(busy.failed_at) == clock.now()
        assert busy.last_error == "DeliveryDeferred: SMTPRecipientsRefused 451"
        clock.advance(timedelta(days=1))
        assert relay(deps, mailer(port), config=CONFIG) == RelayResult()
    assert waits == [backoff(busy.id, n) for n in range(1, 10)]
    assert len(server.received) == 1


def test_backoff_doubles_to_an_hour_with_a_fixed_spread_per_row() -> None:
    for outbox_id in range(1, 200):
        for attempts in range(1, 11):
            ceiling = min(timedelta(minutes=1) * 2 ** (attempts - 1), timedelta(hours=1))
            wait = backoff(outbox_id, attempts)
            assert ceiling * 0.8 <= wait <= ceiling
            assert wait == backoff(outbox_id, attempts)
    assert len({backoff(outbox_id, 1) for outbox_id in range(1, 200)}) > 150


def test_a_refused_address_fails_at_once_without_saying_it(partnership: Deps) -> None:
    deps = partnership
    raise_concern(deps)
    server = Recorder()
    server.answers[email("chair")] = f"550 5.1.1 <{email('chair')}>: Recipient address rejected"
    with smtp_server(server) as port:
        assert relay(deps, mailer(port), config=CONFIG) == RelayResult(sent=1, failed=1)
    (refused,) = [row for row in outbox(deps) if row.sent_at is None]
    assert refused.last_error == "DeliveryRefused: SMTPRecipientsRefused 550"
    assert refused.failed_at is not None and refused.next_attempt_at is None


def test_a_message_that_cannot_be_rendered_fails_alone(partnership: Deps) -> None:
    deps = partnership
    reference = raise_concern(deps)
    with deps.uow() as uow:
        audit_id, chair = uow.connection.execute(
            select(t.audit.c.id, t.audit.c.lead_id).where(t.audit.c.reference == reference)
        ).one()
        # A reminder without its deadline: a bug upstream, which must not block the rest.
        notices.queue(
            uow.connection,
            kind="reminder",
            audit_id=audit_id,
            subject_id=1,
            recipient_ids=[chair],
            at=deps.clock.now() - timedelta(minutes=5),
            context=notices.audit_context(reference, "Relay"),
        )
        uow.commit()
    server = Recorder()
    with smtp_server(server) as port:
        assert relay(deps, mailer(port), config=CONFIG) == RelayResult(sent=2, failed=1)
    (broken,) = [row for row in outbox(deps) if row.sent_at is None]
    assert (broken.kind, broken.last_error) == ("reminder", "RenderError: ValueError")


class BrokenMailer:
    def send(self, message: EmailMessage) -> None:
        raise RuntimeError(str(message["To"]))


def test_a_mailer_bug_is_retried_like_an_outage(partnership: Deps) -> None:
    raise_concern(partnership)
    result = relay(partnership, BrokenMailer(), config=CONFIG)
    assert result == RelayResult(deferred=2)
    assert {row.last_error for row in outbox(partnership)} == {"DeliveryDeferred: RuntimeError"}


def test_nothing_logged_names_a_person_or_quotes_a_message(
    partnership: Deps, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    deps = partnership
    raise_concern(deps)
    port = free_port()
    relay(deps, mailer(port), config=CONFIG)  # the server is down: deferred
    clock.advance(timedelta(hours=1))
    server = Recorder()
    server.answers[email("chair")] = f"550 5.1.1 <{email('chair')}> unknown"
    with smtp_server(server, port):
        assert relay(deps, mailer(port), config=CONFIG) == RelayResult(sent=1, failed=1)
    with deps.uow(readonly=True) as uow:
        people = uow.connection.execute(
            select(t.person.c.name, t.person.c.email).where(
                t.person.c.id.in_(select(t.outbox.c.recipient_id))
            )
        ).all()
    (message,) = server.received
    lines = [line for line in text_of(message).splitlines() if len(line) > 25]
    secrets = [*(p.email for p in people), *(p.name for p in people), *lines, message["Subject"]]
    logged = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    assert any(r.name == "notifications.relay" for r in caplog.records)
    assert [(line, s) for line in logged for s in secrets if s in line] == []


class Crasher(Recorder):
    """Kills the relay process (``kill -9``) once it has delivered ``kill_after`` messages in
    this run: each message is stored before the relay has heard "250", so it cannot mark it."""

    def __init__(self) -> None:
        super().__init__()
        self.victim: Future[subprocess.Popen[str]] = Future()
        self.kill_after = 0
        self.accepted = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        self.accepted += 1
        if self.accepted == self.kill_after:
            victim = await asyncio.wrap_future(self.victim)  # set once the process started
            os.kill(victim.pid, signal.SIGKILL)
        return reply


def run_relay(deps: Deps, port: int, clock: FakeClock, crasher: Crasher) -> tuple[int, str]:
    url = deps.uow.engine.url.render_as_string(hide_password=False)
    crasher.victim, crasher.accepted = Future(), 0
    # A real process, so that it can be killed outright in the middle of a round.
    command = [sys.executable, str(SCRIPT), url, str(port), clock.now().isoformat()]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    crasher.victim.set_result(process)
    stdout, stderr = process.communicate(timeout=120)
    return process.returncode, stdout + stderr


def test_a_relay_killed_mid_round_loses_nothing_and_resends_under_the_same_id(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    for theme in ("Crash one", "Crash two", "Crash three"):
        raise_concern(deps, theme)
    crasher = Crasher()
    plan = (1, 2, 1)  # killed after the 1st, the 2nd, then the 1st message of a run
    with smtp_server(crasher) as port:
        for kill_after in plan:
            crasher.kill_after = kill_after
            code, output = run_relay(deps, port, clock, crasher)
            assert code == -signal.SIGKILL, output
        crasher.kill_after = 0
        # The crashed relays' claims lapse; then one run finishes the job.
        clock.advance(CLAIM + timedelta(minutes=1))
        code, output = run_relay(deps, port, clock, crasher)
        assert code == 0, output
    assert json.loads(output) == {"sent": 5, "deferred": 0, "failed": 0}

    ids = [m["Message-ID"] for m in crasher.received]
    lost = expected_ids(deps) - set(ids)
    duplicates = len(ids) - len(set(ids))
    print(f"crash test: {len(plan)} crashes, {duplicates} duplicates, {len(lost)} lost")
    assert lost == set() and len(set(ids)) == 6
    assert duplicates <= len(plan)
    # A copy goes to the same person with the same subject under the same id. (Its action
    # link may differ: links are minted at sending, so a resend carries a fresh one.)
    contents: dict[tuple[str, str], set[str]] = defaultdict(set)
    for m in crasher.received:
        contents[(str(m["To"]), str(m["Subject"]))].add(m["Message-ID"])
    assert all(len(same) == 1 for same in contents.values())
    assert all(row.sent_at is not None and row.failed_at is None for row in outbox(deps))
