"""A database connection lost in the middle of the work, on both stores: while the relay mints
a message's link, while the sweep queues reminders, while a transition commits.

An outage is transient wherever it strikes. The work in hand is rolled back whole, the caller
hears a retryable ``StoreUnavailable`` in a plain sentence (the relay defers the message with
backoff instead), and the work done again later sends each message exactly once.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import Engine, Table, func, select

from notifications.relay import RelayResult, backoff, relay
from states.clock import FakeClock, as_utc
from states.errors import StoreUnavailable
from states.persistence import tables as t
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services import audits
from states.services.deps import Deps
from states.services.sweep import sweep
from tests.support.driver import drive
from tests.support.outages import lost_at_commit, outage_at
from tests.support.partnership import email, seed_partnership
from tests.support.relay import CONFIG, expected_ids, outbox, raise_concern
from tests.support.smtp import Recorder, mailer, smtp_server

LOST = {
    "postgresql": "The connection to the database was lost, so nothing was saved; "
    "try again in a moment.",
    "sqlite": "could not be read or written (a disk error), so nothing was saved; "
    "try again, and check the disk if it keeps happening.",
}


def count(deps: Deps, table: Table) -> int:
    with deps.uow(readonly=True) as uow:
        return int(uow.connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_connection_lost_while_minting_a_link_defers_the_message(
    partnership: Deps, clock: FakeClock, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """The link's token is a database write made while the message is built: losing the
    connection there is an outage, not a rendering fault, so the message waits and goes."""
    deps = partnership
    raise_concern(deps)  # the chair's notice (no link of its own) and the agency's (a link)
    server = Recorder()
    caplog.set_level(logging.WARNING, logger="notifications.relay")
    with smtp_server(server) as port:
        with outage_at(engine, t.token) as outage:
            first = relay(deps, mailer(port), config=CONFIG)
        assert outage.struck == 1
        assert first == RelayResult(sent=1, deferred=1)
        (waiting,) = [row for row in outbox(deps) if row.sent_at is None]
        assert (waiting.failed_at, waiting.attempts) == (None, 1)
        assert waiting.last_error.startswith("StoreUnavailable: ")
        assert as_utc(waiting.next_attempt_at) == clock.now() + backoff(waiting.id, 1)
        assert count(deps, t.token) == 0  # the token of the rolled-back transaction is gone

        assert relay(deps, mailer(port), config=CONFIG) == RelayResult()  # not due yet
        clock.advance(backoff(waiting.id, 1))
        assert relay(deps, mailer(port), config=CONFIG) == RelayResult(sent=1)
        assert relay(deps, mailer(port), config=CONFIG) == RelayResult()
    received = Counter(message["Message-ID"] for message in server.received)
    assert set(received) == expected_ids(deps) and set(received.values()) == {1}
    assert count(deps, t.token) == 1
    assert all(row.sent_at is not None and row.failed_at is None for row in outbox(deps))
    assert not [r for r in caplog.records if "could not be rendered" in r.getMessage()]


@pytest.mark.postgres
def test_a_link_written_then_lost_at_commit_does_not_survive(
    postgres_engine: Engine, catalogue: Catalogue, clock: FakeClock
) -> None:
    """The token's row was written, then the connection died as it committed: the link in
    no e-mail must not exist, and the message still goes once."""
    deps = Deps(uow=UnitOfWorkFactory(postgres_engine), catalogue=catalogue, clock=clock)
    seed_partnership(deps)
    raise_concern(deps)
    server = Recorder()
    with smtp_server(server) as port:
        with lost_at_commit(postgres_engine, t.token) as outage:
            assert relay(deps, mailer(port), config=CONFIG) == RelayResult(sent=1, deferred=1)
        assert outage.struck == 1 and count(deps, t.token) == 0
        clock.advance(timedelta(minutes=1))
        assert relay(deps, mailer(port), config=CONFIG) == RelayResult(sent=1)
    received = Counter(message["Message-ID"] for message in server.received)
    assert set(received) == expected_ids(deps) and set(received.values()) == {1}
    assert count(deps, t.token) == 1


def _due_reminders(deps: Deps, clock: FakeClock) -> str:
    """An audit with returns open and its first reminder rung due now."""
    reference = drive(deps, "mace", to="returns_open").reference
    with deps.uow(readonly=True) as uow:
        first = uow.connection.execute(select(func.min(t.reminder.c.due_at))).scalar_one()
    clock.set(as_utc(first) + timedelta(minutes=1))
    return reference


def test_a_connection_lost_during_the_sweep_is_retried_and_sends_each_reminder_once(
    partnership: Deps, clock: FakeClock, engine: Engine
) -> None:
    deps = partnership
    _due_reminders(deps, clock)
    queued = count(deps, t.outbox)
    with outage_at(engine, t.outbox) as outage, pytest.raises(StoreUnavailable) as lost:
        sweep(deps)
    assert outage.struck == 1
    assert lost.value.retryable
    assert LOST[engine.dialect.name] in str(lost.value)
    # Nothing half-written: no message queued, no rung marked done.
    assert count(deps, t.outbox) == queued
    with deps.uow(readonly=True) as uow:
        processed = select(func.count()).where(t.reminder.c.processed_at.is_not(None))
        assert uow.connection.execute(processed).scalar_one() == 0

    again = sweep(deps)
    assert again.messages == 3  # one reminder to each agency lead still owing
    assert sweep(deps).messages == 0
    with deps.uow(readonly=True) as uow:
        keys = uow.connection.execute(
            select(t.outbox.c.key).where(t.outbox.c.kind == "reminder")
        ).scalars()
        assert set(Counter(keys).values()) == {1}
    assert count(deps, t.outbox) == queued + 3


def test_a_connection_lost_during_a_transition_leaves_no_trace_and_the_retry_sends_once(
    partnership: Deps, clock: FakeClock, engine: Engine
) -> None:
    deps = partnership
    reference = drive(deps, "mace", to="auditors_assigned").reference
    events, queued, rungs = count(deps, t.event), count(deps, t.outbox), count(deps, t.reminder)
    coordinator = email("coordinator")
    with outage_at(engine, t.outbox) as outage, pytest.raises(StoreUnavailable) as lost:
        audits.fire(deps, audit=reference, trigger="open_returns", actor=coordinator)
    assert outage.struck == 1
    assert lost.value.retryable
    assert LOST[engine.dialect.name] in str(lost.value)
    with deps.uow(readonly=True) as uow:
        state, version = uow.connection.execute(
            select(t.audit.c.state, t.audit.c.version).where(t.audit.c.reference == reference)
        ).one()
    assert state == "auditors_assigned"
    assert (count(deps, t.event), count(deps, t.outbox), count(deps, t.reminder)) == (
        events,
        queued,
        rungs,
    )

    fired = audits.fire(deps, audit=reference, trigger="open_returns", actor=coordinator)
    assert (fired.to_state, fired.version) == ("returns_open", version + 1)
    server = Recorder()
    with smtp_server(server) as port:
        relay(deps, mailer(port), config=CONFIG)
    asked = [m for m in server.received if m["To"].addresses[0].addr_spec.startswith("lead.")]
    assert sorted(m["To"].addresses[0].addr_spec for m in asked) == sorted(
        {email("lead.police"), email("lead.csc"), email("lead.health")}
    )
    received = Counter(message["Message-ID"] for message in server.received)
    assert set(received) == expected_ids(deps) and set(received.values()) == {1}
