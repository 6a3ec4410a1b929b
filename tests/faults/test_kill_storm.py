"""SIGKILL, over and over, while a real process moves audits on: nothing acknowledged is lost
and nothing half-written is left, on each store.

The driver (``tests.faults.storm_driver``) fires transitions and records sign-off decisions on
a dozen audits as fast as it can, printing each write once it has committed. It is killed at
a random moment, started afresh on the same database, and killed again, fifty times on each
store. Each driver is a new process forked from a server that imported the engine once, so a
restart costs milliseconds rather than an interpreter's start, and the run stays short.
After every kill the database must hold:

- every acknowledged write (the event with that version, into that state);
- for each audit, the state its last event went to, and the version that event has;
- events numbered 1..n without a gap;
- a deadline for each visit to a state that declares one, with its reminder rungs as the
  ladder gives them, met once the state was left and open only for the present visit;
- the outbox messages each committed transition queues (as the definition declares them:
  return requests and sign-off requests on entering the states that owe them, the
  further-assurance notice on a refusal), each with the same recipients every time, and none
  for a transition that did not commit.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import Connection, Engine, Row, Select, select

from states.clock import as_utc
from states.definitions.model import AuditTypeDefinition, StateDef
from states.persistence import tables as t
from states.persistence.calendar_holding import ENTRY_KEY
from states.rules.calendar import WorkingCalendar
from states.rules.reminders import ladder
from states.services import audits
from states.services.deps import Deps
from tests.conftest import ROOT
from tests.faults.storm_driver import AUDIT_TYPE, THEME
from tests.support.partnership import email

KILLS = 50
# Sent to whoever holds a deadline's calendar entry when it moves or is taken back.
CALENDAR_FOLLOW_UPS = frozenset({"deadline_moved", "deadline_cancelled"})
AUDITS = 12
EVENT_TIMEOUT = 30.0  # seconds: a bound on waiting for the driver, never a pause


@dataclass(frozen=True)
class Ack:
    audit: str
    version: int
    state: str


@dataclass
class Driver:
    """The fork server and the lines its drivers print, read by a thread as they come."""

    process: subprocess.Popen[str]
    stderr: Path
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    acks: list[Ack] = field(default_factory=list)
    alive: int | None = None  # the driver now running, if any

    def start_reading(self) -> None:
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stdout: IO[str]) -> None:
        for line in stdout:
            self.lines.put(line)

    def next_line(self, timeout: float) -> str | None:
        try:
            line = self.lines.get(timeout=max(timeout, 0.0)).strip()
        except queue.Empty:
            return None
        if line.startswith("ACK "):
            parts = line.split()
            assert len(parts) == 4, f"a torn line: {line!r}"
            self.acks.append(Ack(parts[1], int(parts[2]), parts[3]))
        return line

    def until(self, prefix: str) -> str:
        """Read (keeping acknowledgements) until a line starting ``prefix``."""
        deadline = time.monotonic() + EVENT_TIMEOUT
        while (line := self.next_line(deadline - time.monotonic())) is not None:
            assert not line.startswith("DEAD") or prefix.startswith("DEAD"), self.died()
            if line.startswith(prefix):
                return line
        pytest.fail(f"the storm driver never said {prefix!r}; its stderr: {self.said()}")

    def run_and_kill(self, rng: random.Random) -> None:
        """A fresh driver killed outright: mostly 0-300 ms after its first acknowledged write,
        sometimes in its first 100 ms, whether or not it has written anything yet."""
        assert self.process.stdin is not None
        before = len(self.acks)
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        pid = self.alive = int(self.until("PID ").split()[1])
        if rng.random() < 0.2:
            delay = rng.uniform(0.0, 0.1)
        else:
            if len(self.acks) == before:
                self.until("ACK ")
            delay = rng.uniform(0.0, 0.3)
        until = time.monotonic() + delay
        while (line := self.next_line(until - time.monotonic())) is not None:
            assert not line.startswith("DEAD"), self.died()
        os.kill(pid, signal.SIGKILL)
        status = int(self.until(f"DEAD {pid} ").split()[2])
        self.alive = None
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, self.died()

    def died(self) -> str:
        return f"the driver died before it was killed; its stderr: {self.said()}"

    def said(self) -> str:
        return self.stderr.read_text()[-3000:] or "(nothing)"


@pytest.fixture
def driver(engine: Engine, partnership: Deps, tmp_path: Path) -> Iterator[Driver]:
    for _ in range(AUDITS):
        audits.start_audit(
            partnership,
            audit_type=AUDIT_TYPE,
            theme=THEME,
            lead=email("chair"),
            actor=email("coordinator"),
            agencies=["police"],
        )
    url = engine.url.render_as_string(hide_password=False)
    stderr = tmp_path / "storm_driver.stderr"
    with stderr.open("w") as errors:
        # Real processes: each driver the fork server starts is killed outright (SIGKILL).
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.storm_driver", "--fork-server", url],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    running = Driver(process, stderr)
    running.start_reading()
    try:
        yield running
    finally:
        if running.alive is not None:  # a failed check left a driver running
            with contextlib.suppress(ProcessLookupError):
                os.kill(running.alive, signal.SIGKILL)
        assert process.stdin is not None
        process.stdin.close()  # the server's loop ends once its driver has died
        process.wait(timeout=EVENT_TIMEOUT)


@pytest.mark.slow
def test_sigkill_storm_loses_nothing_and_breaks_nothing(
    driver: Driver, partnership: Deps, engine: Engine
) -> None:
    rng = random.Random(12)  # the same delays every run (the moments still vary)
    definition = partnership.catalogue.current(AUDIT_TYPE).definition
    for _ in range(KILLS):
        driver.run_and_kill(rng)
        with engine.connect() as connection:
            check_invariants(connection, definition, partnership.calendar, driver.acks)
    # Most kills came after a write was acknowledged, among further writes.
    assert len(driver.acks) >= 0.8 * KILLS
    assert len({ack.audit for ack in driver.acks}) == AUDITS


def check_invariants(
    connection: Connection,
    definition: AuditTypeDefinition,
    calendar: WorkingCalendar,
    acks: list[Ack],
) -> None:
    rows = connection.execute(select(t.audit).where(t.audit.c.theme == THEME)).all()
    events = by_audit(connection, select(t.event).order_by(t.event.c.version))
    for row in rows:
        history = events[row.id]
        assert [e.version for e in history] == list(range(1, len(history) + 1)), row.reference
        assert (row.state, row.version) == (history[-1].to_state, history[-1].version)
    recorded = {(row.reference, e.version, e.to_state) for row in rows for e in events[row.id]}
    lost = [a for a in acks if (a.audit, a.version, a.state) not in recorded]
    assert lost == [], f"acknowledged writes missing: {lost[:5]}"
    deadlines = by_audit(connection, select(t.deadline))
    rungs = by_audit(connection, select(t.reminder))
    messages = by_audit(connection, select(t.outbox))
    for row in rows:
        check_deadlines(row, events[row.id], deadlines[row.id], definition)
        check_rungs(deadlines[row.id], rungs[row.id], definition, calendar)
        check_outbox(row.reference, events[row.id], messages[row.id], definition)


def by_audit(connection: Connection, statement: Select[Any]) -> defaultdict[int, list[Row[Any]]]:
    found: defaultdict[int, list[Row[Any]]] = defaultdict(list)
    for row in connection.execute(statement):
        found[row.audit_id].append(row)
    return found


def check_deadlines(
    audit: Row[Any],
    history: list[Row[Any]],
    deadlines: list[Row[Any]],
    definition: AuditTypeDefinition,
) -> None:
    """One deadline per visit to a state that declares one; only the present visit's open."""
    visits = [e for e in history if e.version == 1 or e.from_state != e.to_state]
    assert audit.state_round == visits[-1].version, audit.reference
    expected = sorted(
        (e.to_state, e.version) for e in visits if definition.state(e.to_state).deadline
    )
    assert sorted((d.state, d.round) for d in deadlines) == expected, audit.reference
    for deadline in deadlines:
        present = (deadline.state, deadline.round) == (audit.state, audit.state_round)
        assert (deadline.met_at is None) == present, (audit.reference, deadline.state)


def check_rungs(
    deadlines: list[Row[Any]],
    rungs: list[Row[Any]],
    definition: AuditTypeDefinition,
    calendar: WorkingCalendar,
) -> None:
    """Each deadline's rungs are its ladder's, all of them (no sweep runs in the storm), and
    they leave the sweep's index when the deadline is met."""
    by_deadline: defaultdict[int, list[Row[Any]]] = defaultdict(list)
    for rung in rungs:
        by_deadline[rung.deadline_id].append(rung)
    assert set(by_deadline) <= {d.id for d in deadlines}
    for deadline in deadlines:
        spec = definition.state(deadline.state).deadline
        assert spec is not None
        due, opened = as_utc(deadline.due_at), as_utc(deadline.starts_at)
        assert due == calendar.due_at(
            opened, working_days=spec.working_days, calendar_days=spec.calendar_days
        )
        ladder_of = ladder(spec, due_at=due, opened_at=opened, calendar=calendar)
        mine = by_deadline[deadline.id]
        assert sorted((r.step, as_utc(r.due_at)) for r in mine) == sorted(
            (r.step, r.due_at) for r in ladder_of
        )
        assert all((r.processed_at is None) == (deadline.met_at is None) for r in mine)


def check_outbox(
    audit: str,
    history: list[Row[Any]],
    messages: list[Row[Any]],
    definition: AuditTypeDefinition,
) -> None:
    """The messages queued are exactly those the committed transitions declare, by kind and
    round, each kind to the same number of people every time (none missing from a group)."""
    expected = {("audit_started", 1)} | started_messages(definition)
    for event in history[1:]:
        expected |= declared_messages(definition, event)
    declared = [m for m in messages if m.kind not in CALENDAR_FOLLOW_UPS]
    check_calendar_follow_ups(audit, messages)
    groups = Counter((m.kind, m.subject_id) for m in declared)
    assert set(groups) == expected, audit
    for kind in {k for k, _ in groups}:
        assert len({n for (k, _), n in groups.items() if k == kind}) == 1, (audit, kind)


def check_calendar_follow_ups(audit: str, messages: list[Row[Any]]) -> None:
    """A deadline's calendar entry moved or taken back goes to those the entry was sent, by
    who holds it rather than by the definition: each follow-up's reader was asked for the
    same entry by an earlier message, and is told of each change once."""
    asked = {
        (m.recipient_id, json.loads(m.context).get(ENTRY_KEY))
        for m in messages
        if m.kind not in CALENDAR_FOLLOW_UPS
    }
    follow_ups = [m for m in messages if m.kind in CALENDAR_FOLLOW_UPS]
    for m in follow_ups:
        assert (m.recipient_id, json.loads(m.context)[ENTRY_KEY]) in asked, (audit, m.kind)
    assert len({m.key for m in follow_ups}) == len(follow_ups), audit


def started_messages(definition: AuditTypeDefinition) -> set[tuple[str, int]]:
    """What starting queues beyond the chair's: the learning hub told of an exception an
    agency raises, and the agency asked at once for work its first state owes."""
    found: set[tuple[str, int]] = set()
    if definition.raised_by_agency:
        found.add(("exception_raised", 1))
    first = definition.state(definition.initial_state)
    if first.deadline is not None and first.deadline.owed_by == "participants":
        found.add((asked_of_participants(first), 1))
    return found


def asked_of_participants(state: StateDef) -> str:
    """Their returns where returns are collected; elsewhere, an agency's response."""
    collecting = state.stage == "collecting_returns"
    return "return_requested" if collecting else "response_requested"


def declared_messages(definition: AuditTypeDefinition, event: Row[Any]) -> set[tuple[str, int]]:
    """What ``states.services.messages.after_transition`` queues for this event's transition,
    read from the definition (a write that is not a transition, such as a decision, queues
    nothing)."""
    transition = next(
        (
            t
            for t in definition.transitions
            if t.trigger == event.trigger and ("*" in t.sources or event.from_state in t.sources)
        ),
        None,
    )
    if transition is None:
        return set()
    found: set[tuple[str, int]] = set()
    if "sign_off_quorum" in transition.gates:
        found.add(("sign_off_decided", event.version))
    if "sign_off_refused" in transition.gates:
        found.add(("further_assurance_requested", event.version))
    state = definition.state(event.to_state)
    spec = None if transition.internal else state.deadline
    owed = {
        "participants": asked_of_participants(state),
        "sign_off_members": "sign_off_requested",
    }
    if spec is not None and spec.owed_by in owed:
        found.add((owed[spec.owed_by], event.version))
    return found
