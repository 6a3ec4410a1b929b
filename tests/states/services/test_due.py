"""The tick's "what is due now", on SQLite and PostgreSQL: each answer agrees with what the
sweep, the relay and the calendar would do, and is found by index, so asking costs the
same however much history the database holds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Connection, Engine, event, func, insert, select, text, update

from notifications.relay import CLAIM, RelayResult, relay
from notifications.smtp import DeliveryDeferred, DeliveryRefused
from states.clock import FakeClock, as_utc
from states.persistence import tables as t
from states.services.deps import Deps
from states.services.due import (
    CalendarRounds,
    DueNow,
    TouchedAudit,
    audits_with_due_messages,
    audits_with_due_reminders,
    calendar_rounds,
    claim_quiet_hour,
    due_now,
    outbox_due,
    reminders_due,
)
from states.services.programme import load_programme
from states.services.recurring import calendar_work, start_calendar_work
from states.services.sweep import sweep
from tests.conftest import ROOT
from tests.support.driver import drive
from tests.support.partnership import email
from tests.support.relay import CONFIG, raise_concern

PROGRAMME = ROOT / "definitions" / "programme" / "oscp-2025-28.yaml"
# Enough rows that a planner reading its statistics would rather scan than look up, were
# the index of no use to the query.
HISTORY = 3000


class Mail:
    """The mail server, faked at the process edge: it takes, defers or refuses each message."""

    def __init__(self, answer: type[Exception] | None = None) -> None:
        self.answer = answer
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        if self.answer is DeliveryDeferred:
            raise DeliveryDeferred(cause="ConnectionRefusedError", server_down=True)
        if self.answer is DeliveryRefused:
            raise DeliveryRefused(cause="SMTPRecipientsRefused", code=550)
        self.sent.append(message)


def relayed(deps: Deps, mail: Mail) -> RelayResult:
    return relay(deps, mail, config=CONFIG)


def test_a_fresh_partnership_has_nothing_due(partnership: Deps) -> None:
    assert due_now(partnership) == DueNow(calendar=False, reminders=False, outbox=False)
    assert not due_now(partnership).anything
    assert calendar_rounds(partnership) == CalendarRounds((), 0)


def test_a_message_is_due_exactly_when_the_relay_would_take_it(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = raise_concern(deps)
    assert outbox_due(deps) and due_now(deps).outbox
    assert audits_with_due_messages(deps) == [TouchedAudit(reference, "mace")]

    # Deferred: not due until its retry time comes (at most a minute after the first try).
    assert relayed(deps, Mail(DeliveryDeferred)) == RelayResult(deferred=2)
    assert not outbox_due(deps) and audits_with_due_messages(deps) == []
    assert relayed(deps, Mail()) == RelayResult()  # the relay agrees: nothing to take
    clock.advance(timedelta(minutes=1))
    assert outbox_due(deps)

    # Claimed by a relay that then died: not due while the claim holds, due once it lapses.
    with deps.uow() as uow:
        uow.connection.execute(update(t.outbox).values(next_attempt_at=clock.now() + CLAIM))
        uow.commit()
    assert not outbox_due(deps)
    assert relayed(deps, Mail()) == RelayResult()
    clock.advance(CLAIM)
    assert outbox_due(deps)
    assert relayed(deps, Mail()) == RelayResult(sent=2)
    assert not outbox_due(deps)

    # Refused, so failed: never due again until someone retries it.
    raise_concern(deps, "Refused")
    assert relayed(deps, Mail(DeliveryRefused)) == RelayResult(failed=2)
    clock.advance(timedelta(days=30))
    assert not outbox_due(deps)
    assert relayed(deps, Mail()) == RelayResult()


def test_a_rung_is_due_from_its_time_until_it_is_swept(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    reference = drive(deps, "section_11", to="returns_open").reference
    assert not reminders_due(deps)  # a ladder waits for its first rung
    with deps.uow(readonly=True) as uow:
        first = uow.connection.execute(select(func.min(t.reminder.c.due_at))).scalar_one()
    clock.set(as_utc(first))
    assert reminders_due(deps) and due_now(deps).reminders
    assert audits_with_due_reminders(deps) == [TouchedAudit(reference, "section_11")]
    assert sweep(deps).rungs == 1
    assert not reminders_due(deps) and audits_with_due_reminders(deps) == []


def test_calendar_work_is_due_while_a_begun_time_round_has_no_audit(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    clock.set(datetime(2025, 6, 2, 9, 0, tzinfo=UTC))  # before any time round begins
    load_programme(deps, PROGRAMME)
    assert calendar_rounds(deps) == CalendarRounds((), 0)

    # 1 September 2025: the quarterly report (begun 1 July) and the annual training-impact
    # audit (begun 1 September) have no audit yet.
    clock.set(datetime(2025, 9, 1, 9, 0, tzinfo=UTC))
    assert calendar_rounds(deps) == CalendarRounds((), 2)
    assert due_now(deps).calendar
    people = {"coordinator": email("coordinator"), "lead": email("chair")}
    (report, _training) = rounds = calendar_work(deps)
    first = start_calendar_work(deps, report, **people)
    assert calendar_rounds(deps) == CalendarRounds((first,), 1)
    started = tuple(start_calendar_work(deps, work, **people) for work in rounds)
    # The same audits, in the same order, that the calendar's own start names.
    assert calendar_rounds(deps) == CalendarRounds(started, 0)
    assert not due_now(deps).calendar


def test_one_quiet_tick_an_hour_is_the_one_to_say_so(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    assert claim_quiet_hour(deps) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert claim_quiet_hour(deps) is None
    clock.advance(timedelta(minutes=29, seconds=59))
    assert claim_quiet_hour(deps) is None
    clock.advance(timedelta(seconds=1))
    assert claim_quiet_hour(deps) == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert claim_quiet_hour(deps) is None
    # Hours of downtime: the first quiet tick after it claims its own hour, once.
    clock.advance(timedelta(hours=5, minutes=10))
    assert claim_quiet_hour(deps) == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert claim_quiet_hour(deps) is None


def with_history(deps: Deps) -> None:
    """Years of work done: thousands of swept rungs and sent messages, and a few rungs
    still ahead, as a database holds after a long run; then statistics for the planner."""
    drive(deps, "section_11", to="returns_open")
    with deps.uow() as uow:
        conn = uow.connection
        audit_id, deadline_id = conn.execute(
            select(t.reminder.c.audit_id, t.reminder.c.deadline_id).limit(1)
        ).one()
        person = conn.execute(select(func.min(t.person.c.id))).scalar_one()
        past = datetime(2020, 1, 1, 8, 0, tzinfo=UTC)
        conn.execute(
            insert(t.reminder), [_rung(audit_id, deadline_id, n, past) for n in range(HISTORY)]
        )
        conn.execute(
            insert(t.outbox), [_message(audit_id, person, n, past) for n in range(HISTORY)]
        )
        uow.commit()
    with deps.uow() as uow:
        if uow.connection.dialect.name == "postgresql":
            uow.connection.execute(text("ANALYZE reminder"))
            uow.connection.execute(text("ANALYZE outbox"))
        uow.commit()


def _rung(audit_id: int, deadline_id: int, n: int, past: datetime) -> dict[str, Any]:
    due = past + timedelta(hours=n)
    return {
        "deadline_id": deadline_id,
        "audit_id": audit_id,
        "step": f"old-{n}",
        "kind": "reminder",
        "roles": "agency_lead",
        "due_at": due,
        "processed_at": due,
        "sent_count": 1,
    }


def _message(audit_id: int, person: int, n: int, past: datetime) -> dict[str, Any]:
    at = past + timedelta(hours=n)
    return {
        "key": f"history:{n}",
        "kind": "reminder",
        "audit_id": audit_id,
        "recipient_id": person,
        "context": "{}",
        "created_at": at,
        "next_attempt_at": at,
        "attempts": 1,
        "sent_at": at,
    }


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Each statement the engine sends to the database, with its parameters as sent."""
    seen: list[tuple[str, Any]] = []

    def note(_conn: Connection, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def plan(deps: Deps, statement: str, parameters: Any) -> str:
    """The database's own plan for the statement, with the parameters it was run with."""
    with deps.uow(readonly=True) as uow:
        conn = uow.connection
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(str(row[-1]) for row in rows)
        rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(str(row[0]) for row in rows)


def test_the_answers_are_found_by_index_not_by_reading_the_history(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    with_history(deps)
    clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    for ask, table, index in (
        (reminders_due, "reminder", "ix_reminder_due"),
        (outbox_due, "outbox", "ix_outbox_pending"),
    ):
        with statements(deps.uow.engine) as seen:
            ask(deps)
        (asked,) = [(s, p) for s, p in seen if table in s and "LIMIT" in s.upper()]
        found = plan(deps, *asked)
        # SQLite says SCAN for reading a whole table (or index), SEARCH for a look-up;
        # PostgreSQL says Seq Scan for reading a whole table.
        assert f"SCAN {table}" not in found and f"Seq Scan on {table}" not in found, found
        assert index in found, found


def test_touched_audits_are_named_up_to_a_limit(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    references = sorted(raise_concern(deps, f"Audit {n}") for n in range(3))
    assert [a.reference for a in audits_with_due_messages(deps)] == references
    assert len(audits_with_due_messages(deps, limit=2)) == 2
