"""The worker: APScheduler only ticks, in UTC, forgivingly; one worker leads at a time; and
`oscp worker --once` sends what is due through a real SMTP server."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from states.clock import SystemClock
from states.lease import Lease
from states.services.deps import Deps
from states.uow import UnitOfWorkFactory
from tests.notifications.test_relay import Recorder, free_port, raise_concern, smtp_server
from tests.oscp_flow.test_cli_mail import oscp, oscp_env
from workflows.worker import JOB_DEFAULTS, JOB_ID, LEASE_NAME, Worker, build_scheduler

WAIT = 20.0  # seconds an event may take to arrive from a real scheduler thread


def test_the_tick_is_forgiving_and_in_utc(sqlite_engine: Engine) -> None:
    assert JOB_DEFAULTS["coalesce"] is True
    assert JOB_DEFAULTS["misfire_grace_time"] >= 6 * 3600  # a worker down for hours still ticks
    assert JOB_DEFAULTS["max_instances"] == 1
    scheduler = build_scheduler(sqlite_engine, interval=timedelta(minutes=5))
    job = scheduler.get_job(JOB_ID)
    assert job is not None and isinstance(job.trigger, IntervalTrigger)
    assert str(job.trigger.timezone) == "UTC" and job.trigger.interval == timedelta(minutes=5)


def _worker(engine: Engine, holder: str, ticked: threading.Event) -> Worker:
    lease = Lease(
        UnitOfWorkFactory(engine),
        SystemClock(),
        name=LEASE_NAME,
        holder=holder,
        duration=timedelta(seconds=3),
    )
    return Worker(lease, engine, ticked.set, timedelta(seconds=1))


def test_one_worker_leads_and_another_takes_over_when_it_stops(sqlite_engine: Engine) -> None:
    first_ticked, second_ticked = threading.Event(), threading.Event()
    stop_first, stop_second = threading.Event(), threading.Event()
    first = threading.Thread(
        target=_worker(sqlite_engine, "first", first_ticked).run, args=(stop_first,)
    )
    first.start()
    try:
        assert first_ticked.wait(WAIT), "the leading worker ticks"
        second_worker = _worker(sqlite_engine, "second", second_ticked)
        second = threading.Thread(target=second_worker.run, args=(stop_second,))
        second.start()
        assert not second_ticked.wait(3), "a second worker stays idle while the first leads"
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
        env = oscp_env(partnership, tmp_path, port)
        result = oscp(env, "worker", "--once")
        assert result.returncode == 0, result.stderr
        assert "2 sent, 0 deferred, 0 failed" in result.stdout
        again = oscp(env, "worker", "--once")
        assert "0 sent" in again.stdout
    assert len(recorder.received) == 2
    assert all(reference in str(m["Subject"]) for m in recorder.received)
    down = oscp(oscp_env(partnership, tmp_path, free_port()), "worker", "--once")
    assert down.returncode == 0 and "Traceback" not in down.stderr
