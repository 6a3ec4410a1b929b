"""The worker: APScheduler only ticks, in UTC, forgivingly; one worker leads at a time, and
stops ticking by its own deadline before its lease can lapse; and `oscp worker --once` sends
what is due through a real SMTP server."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from oscp_flow.settings import Settings, SettingsInvalid, load
from states.clock import FakeClock, SystemClock
from states.persistence import tables as t
from states.persistence.lease import Lease
from states.persistence.uow import UnitOfWorkFactory
from states.services.deps import Deps
from tests.support.cli import on_database, oscp_with
from tests.support.outages import outage_at
from tests.support.ports import refused_port
from tests.support.relay import raise_concern
from tests.support.smtp import Recorder, smtp_server
from workflows.worker import (
    JOB_DEFAULTS,
    JOB_ID,
    LATE,
    LEASE_NAME,
    LOST,
    Worker,
    build_scheduler,
)

WAIT = 20.0  # seconds an event may take to arrive from a real scheduler thread


def test_the_tick_is_forgiving_and_in_utc(sqlite_engine: Engine) -> None:
    assert JOB_DEFAULTS["coalesce"] is True
    assert JOB_DEFAULTS["misfire_grace_time"] >= 6 * 3600  # a worker down for hours still ticks
    assert JOB_DEFAULTS["max_instances"] == 1
    scheduler = build_scheduler(sqlite_engine, interval=timedelta(minutes=5))
    job = scheduler.get_job(JOB_ID)
    assert job is not None and isinstance(job.trigger, IntervalTrigger)
    assert str(job.trigger.timezone) == "UTC" and job.trigger.interval == timedelta(minutes=5)


class Watched(Lease):
    """The lease, telling the test each time its worker asked for it and was refused."""

    def __init__(self, engine: Engine, holder: str) -> None:
        super().__init__(
            UnitOfWorkFactory(engine),
            SystemClock(),
            name=LEASE_NAME,
            holder=holder,
            duration=timedelta(seconds=3),
        )
        self.refused = threading.Semaphore(0)

    def acquire(self) -> bool:
        held = super().acquire()
        if not held:
            self.refused.release()
        return held


# A worker asks once a second, the first time at once: its fourth refusal comes after the
# leader's 3-s lease would have lapsed, so the leader must have renewed it meanwhile.
REFUSALS = 4


def _worker(engine: Engine, lease: Lease, ticked: threading.Event) -> Worker:
    second = timedelta(seconds=1)
    return Worker(lease, engine, ticked.set, second, renew_every=second)


def test_one_worker_leads_and_another_takes_over_when_it_stops(sqlite_engine: Engine) -> None:
    first_ticked, second_ticked = threading.Event(), threading.Event()
    stop_first, stop_second = threading.Event(), threading.Event()
    first_worker = _worker(sqlite_engine, Watched(sqlite_engine, "first"), first_ticked)
    first = threading.Thread(target=first_worker.run, args=(stop_first,))
    first.start()
    try:
        assert first_ticked.wait(WAIT), "the leading worker ticks"
        lease = Watched(sqlite_engine, "second")
        second = threading.Thread(
            target=_worker(sqlite_engine, lease, second_ticked).run, args=(stop_second,)
        )
        second.start()
        for _ in range(REFUSALS):
            assert lease.refused.acquire(timeout=WAIT), "the second worker keeps asking"
        assert not second_ticked.is_set(), "a second worker stays idle while the first leads"
        stop_first.set()
        first.join(WAIT)
        assert second_ticked.wait(WAIT), "it takes over once the lease is free"
    finally:
        stop_first.set()
        stop_second.set()
        first.join(WAIT)
        if "second" in locals():
            second.join(WAIT)


def test_worker_once_sends_what_is_due(partnership: Deps, tmp_path: Path) -> None:
    reference = raise_concern(partnership)
    recorder = Recorder()
    with smtp_server(recorder) as port:
        env = on_database(partnership, tmp_path, port)
        result = oscp_with(env, "worker", "--once")
        assert result.exit_code == 0, result.stderr
        assert "2 sent, 0 deferred, 0 failed" in result.stdout
        again = oscp_with(env, "worker", "--once")
        assert "0 sent" in again.stdout
    assert len(recorder.received) == 2
    assert all(reference in str(m["Subject"]) for m in recorder.received)
    down = oscp_with(on_database(partnership, tmp_path, refused_port()), "worker", "--once")
    assert down.exit_code == 0, down.stderr


SECOND = timedelta(seconds=1)
LEASE, RENEW = 12 * SECOND, 3 * SECOND


class Monotonic:
    """The worker's stopwatch, moved by hand like the FakeClock."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def leader_and_follower(
    engine: Engine, clock: FakeClock, said: list[str], ticks: list[int]
) -> tuple[Worker, Lease, Monotonic]:
    def lease(holder: str) -> Lease:
        uow = UnitOfWorkFactory(engine)
        return Lease(uow, clock, name=LEASE_NAME, holder=holder, duration=LEASE)

    stopwatch = Monotonic()
    leader = Worker(
        lease("leader"),
        engine,
        lambda: ticks.append(1),
        timedelta(hours=1),  # the tests tick by hand
        renew_every=RENEW,
        say=said.append,
        monotonic=stopwatch,
    )
    return leader, lease("follower"), stopwatch


def later(clock: FakeClock, stopwatch: Monotonic, seconds: float) -> None:
    clock.advance(timedelta(seconds=seconds))
    stopwatch.now += seconds


def test_a_leader_cut_off_from_the_database_stops_before_its_lease_lapses(
    engine: Engine, clock: FakeClock
) -> None:
    said: list[str] = []
    ticks: list[int] = []
    leader, follower, stopwatch = leader_and_follower(engine, clock, said, ticks)
    try:
        assert leader.renew() and leader.tick_now()
        with outage_at(engine, t.lease, verb="UPDATE", times=100):
            later(clock, stopwatch, 3)
            assert leader.renew() and leader.tick_now(), "one missed renewal is no reason to stop"
            later(clock, stopwatch, 5.9)
            assert leader.renew() and leader.tick_now()
            later(clock, stopwatch, 0.1)  # 9 s: one renewal period before the lease lapses
            assert not leader.renew() and not leader.tick_now() and not leader.leading
        assert not follower.acquire(), "the lease has 3 s to run, and nobody ticks meanwhile"
        later(clock, stopwatch, 3)
        assert follower.acquire()
    finally:
        leader.step_down()
    assert len(ticks) == 3
    assert said.count(LATE) == 1 and len(said) == 3, "led; the outage, once; stopped"


def test_a_leader_frozen_past_its_deadline_never_ticks_again(
    engine: Engine, clock: FakeClock
) -> None:
    said: list[str] = []
    ticks: list[int] = []
    leader, follower, stopwatch = leader_and_follower(engine, clock, said, ticks)
    try:
        assert leader.renew() and leader.tick_now()
        later(clock, stopwatch, 12)  # frozen: no renewal, and the follower takes over
        assert follower.acquire()
        assert not leader.tick_now(), "its scheduler wakes first: the tick is refused"
        assert not leader.renew() and not leader.leading
        assert not leader.tick_now()
    finally:
        leader.step_down()
    assert len(ticks) == 1 and said[-1] == LOST
    assert follower.holder_now() == "follower", "the loser's release left it alone"


def test_the_lease_must_outlast_its_renewals(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().worker_lease_seconds >= 3 * Settings().worker_renew_seconds
    assert Settings().worker_lease_seconds + Settings().worker_renew_seconds <= 15
    monkeypatch.setenv("OSCP_WORKER_RENEW_SECONDS", "5")
    with pytest.raises(SettingsInvalid, match="at least three times OSCP_WORKER_RENEW_SECONDS"):
        load(Settings)
