"""The worker's lease on an operator's worst day (issue 12, items 2 and 5), with real `oscp
worker` processes on both stores: a lease left by a killed worker is taken at once; a worker
whose tick and release both meet a full disk blocks nobody and says the disk is full; a
follower takes over within about 15 s of the leader's death or freeze, never alongside it.

Real processes are the point here, so waiting is a bounded poll on their output or on the
lease row, never a fixed sleep.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import OperationalError

from states.clock import FakeClock
from states.errors import AuditEngineError
from states.persistence import tables as t
from states.persistence.db import make_engine
from states.persistence.lease import Lease
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services.deps import Deps
from tests.conftest import ROOT
from tests.support.cli import oscp_env, oscp_in
from tests.support.partnership import seed_partnership
from tests.support.ports import refused_port
from tests.support.relay import raise_concern
from tests.support.smtp import Recorder, smtp_server
from tests.support.waiting import eventually
from workflows.holders import holder_alive, holder_name
from workflows.worker import LEASE_NAME, Worker, run_once

OSCP = [sys.executable, "-m", "oscp_flow"]
START_UP = 60.0  # seconds a fresh `oscp worker` may take to start and lead on a busy machine
TAKEOVER = 15.0  # what the defaults promise: 12 s lease renewed every 3 s
SLACK = 2.0  # process scheduling on a loaded 2-core machine
TICK_REPORT = "reminder rung(s) due"  # each tick's report line
LEADS = "This worker now leads"
WAIT_TAKEOVER = TAKEOVER + SLACK + 5


class Running:
    """A real `oscp worker` process; its output lines are kept with the moment each came."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.process = subprocess.Popen(
            [*OSCP, "worker", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**env, "PYTHONUNBUFFERED": "1"},
            cwd=ROOT,
        )
        self.lines: list[tuple[float, str]] = []
        self._arrived = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._arrived:
                self.lines.append((time.monotonic(), line.rstrip()))
                self._arrived.notify_all()

    def wait_for(self, words: str, *, after: float = 0.0, timeout: float = START_UP) -> float:
        """When the first line holding ``words`` (arriving after ``after``) came."""

        def found() -> float | None:
            return next((at for at, line in self.lines if at > after and words in line), None)

        with self._arrived:
            if not self._arrived.wait_for(lambda: found() is not None, timeout):
                raise AssertionError(f"no {words!r} within {timeout} s: {self.output()}")
            return found() or 0.0

    def ticks(self) -> list[float]:
        return [at for at, line in self.lines if TICK_REPORT in line]

    def output(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def kill(self) -> None:
        """SIGKILL, and reap it as a shell or supervisor would."""
        self.process.kill()
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def workers(env: dict[str, str], count: int, *args: str) -> Iterator[list[Running]]:
    started: list[Running] = []
    try:
        for _ in range(count):
            started.append(Running(env, *args))
        yield started
    finally:
        for worker in started:
            worker.stop()


def lease_row(engine: Engine) -> tuple[str, object] | None:
    with engine.connect() as connection:
        row = connection.execute(select(t.lease.c.holder, t.lease.c.expires_at)).first()
    return None if row is None else (str(row[0]), row[1])


def wait_for_holder(engine: Engine, timeout: float = START_UP) -> str:
    # The row is written by another process, which says nothing when it does.
    def taken() -> str:
        row = lease_row(engine)
        assert row is not None, "no worker took the lease"
        return row[0]

    return eventually(taken, timeout)


@contextmanager
def holders_seen(engine: Engine) -> Iterator[list[str]]:
    """Every holder the lease row names during the block, polled from another connection."""
    seen: list[str] = []
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.1):
            row = lease_row(engine)
            if row is not None and (not seen or seen[-1] != row[0]):
                seen.append(row[0])

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        yield seen
    finally:
        done.set()
        poller.join(10)


# --- item 2: a dead holder blocks nobody ------------------------------------------------------


def test_a_lease_left_by_a_killed_worker_is_taken_at_once(
    partnership: Deps, tmp_path: Path
) -> None:
    reference = raise_concern(partnership)
    recorder = Recorder()
    with smtp_server(recorder) as port:
        env = oscp_env(partnership, tmp_path, port)
        with workers(env, 1, "--interval", "3600") as (leader,):
            holder = wait_for_holder(partnership.uow.engine)
            leader.kill()
        # A process of its own on this machine, which finds the killed holder's pid gone.
        once = oscp_in(env, "worker", "--once")
    assert once.returncode == 0, once.stdout + once.stderr
    assert "Another worker leads" not in once.stdout, "the dead worker's lease blocked it"
    assert "2 sent, 0 deferred, 0 failed" in once.stdout
    assert len(recorder.received) == 2 and reference in str(recorder.received[0]["Subject"])
    row = lease_row(partnership.uow.engine)
    assert row is not None and row[0] != holder


def test_a_holder_is_alive_only_if_its_process_is() -> None:
    mine = holder_name()
    gone = subprocess.run(
        [sys.executable, "-c", "from workflows.holders import holder_name; print(holder_name())"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout.strip()
    elsewhere = "another-host:1:0123abcd"
    assert holder_alive(mine) and holder_alive(elsewhere), "only this machine's pids are checked"
    assert not holder_alive(gone), "a finished process on this machine holds nothing"
    assert holder_alive("not a holder name"), "what cannot be read is not assumed dead"


@pytest.fixture
def postgres_deps(postgres_engine: Engine, catalogue: Catalogue, clock: FakeClock) -> Deps:
    deps = Deps(uow=UnitOfWorkFactory(postgres_engine), catalogue=catalogue, clock=clock)
    seed_partnership(deps)
    return deps


# PostgreSQL's own error for a full disk (SQLSTATE 53100), raised by the tick's first write
# (the relay's claim on a message) and by the lease's release (the only update that moves
# the expiry backwards); renewals and takeovers move it forwards and still work.
DISK_FULL = """
CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';
END $$;
CREATE TRIGGER outbox_disk_full BEFORE UPDATE ON outbox
  FOR EACH ROW EXECUTE FUNCTION disk_full();
CREATE TRIGGER lease_disk_full BEFORE UPDATE ON scheduler_lease
  FOR EACH ROW WHEN (NEW.expires_at < OLD.expires_at) EXECUTE FUNCTION disk_full();
"""
SPACE_FREED = """
DROP TRIGGER outbox_disk_full ON outbox;
DROP TRIGGER lease_disk_full ON scheduler_lease;
"""


@pytest.mark.postgres
def test_a_full_disk_in_the_tick_and_the_release_blocks_no_later_worker(
    postgres_deps: Deps, tmp_path: Path
) -> None:
    engine = postgres_deps.uow.engine
    raise_concern(postgres_deps)
    recorder = Recorder()
    with smtp_server(recorder) as port:
        env = oscp_env(postgres_deps, tmp_path, port)
        with engine.begin() as connection:
            connection.exec_driver_sql(DISK_FULL)
        # Each worker a process of its own, so the second is not the holder the first left.
        full = oscp_in(env, "worker", "--once")
        assert "disk" in full.stdout + full.stderr and "full" in full.stdout + full.stderr
        assert "Traceback" not in full.stderr and "could not be reached" not in full.stderr
        assert lease_row(engine) is not None, "the release failed too, so the row still names it"
        with engine.begin() as connection:
            connection.exec_driver_sql(SPACE_FREED)
        once = oscp_in(env, "worker", "--once")
    assert "Another worker leads" not in once.stdout, "the failed worker's lease blocked it"
    assert "2 sent, 0 deferred, 0 failed" in once.stdout, once.stdout + once.stderr
    assert len(recorder.received) == 2


def disk_full_engine(sqlite_engine: Engine) -> Engine:
    """The same SQLite file, on connections that may not grow it by a single page."""
    limited = make_engine(sqlite_engine.url.render_as_string(hide_password=False))

    @event.listens_for(limited, "connect")
    def _no_room(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    return limited


def fill_the_disk(engine: Engine) -> Callable[[], object]:
    """A tick whose write needs room the database does not have: SQLite's own SQLITE_FULL."""

    def tick() -> object:
        with UnitOfWorkFactory(engine)() as uow:
            uow.connection.execute(text("CREATE TABLE ballast (data TEXT)"))
            uow.connection.execute(text("INSERT INTO ballast VALUES (:d)"), {"d": "x" * 1_000_000})
            uow.commit()
        return None

    return tick


def sqlite_lease(engine: Engine, clock: FakeClock, holder: str) -> Lease:
    return Lease(
        UnitOfWorkFactory(engine),
        clock,
        name=LEASE_NAME,
        holder=holder,
        duration=timedelta(hours=1),  # longer than any test: only a release can free it
        holder_alive=holder_alive,
    )


def test_a_once_worker_whose_tick_fills_the_disk_frees_the_lease(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    limited = disk_full_engine(sqlite_engine)
    first = sqlite_lease(limited, clock, holder_name())
    with pytest.raises((AuditEngineError, OperationalError)) as failed:
        run_once(first, fill_the_disk(limited), renew_every=timedelta(seconds=3))
    assert "full" in str(failed.value)
    assert sqlite_lease(sqlite_engine, clock, holder_name()).acquire(), "the next worker leads"
    limited.dispose()


def test_a_leading_worker_whose_tick_fills_the_disk_says_so_once_and_steps_down(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    limited = disk_full_engine(sqlite_engine)
    said: list[str] = []
    leader = Worker(
        sqlite_lease(limited, clock, holder_name()),
        sqlite_engine,  # APScheduler's job store: room enough
        fill_the_disk(limited),
        interval=timedelta(hours=1),
        renew_every=timedelta(seconds=3),
        say=said.append,
    )
    follower = sqlite_lease(sqlite_engine, clock, holder_name())
    try:
        assert leader.renew() and not follower.acquire()
        assert not leader.tick_now(), "the tick failed"
        assert not leader.renew(), "the round after a failed tick gives the lease up"
        assert follower.acquire(), "so the next worker leads at once"
        follower.release()
        assert leader.renew() and not leader.tick_now(), "it leads again; the disk is still full"
    finally:
        leader.step_down()
        limited.dispose()
    full = [line for line in said if "full" in line]
    assert len(full) == 1, said


# --- item 5: a quick takeover, never two leaders ----------------------------------------------


@pytest.mark.slow
def test_a_follower_takes_over_quickly_and_never_alongside_the_leader(
    deps: Deps, tmp_path: Path
) -> None:
    """Freeze the leader (SIGSTOP: alive, silent, like a stalled VM): the follower takes over
    when its lease lapses. Thaw it: it must not tick again. Then kill the new leader: the
    thawed one takes over at once, its holder's process being gone."""
    engine = deps.uow.engine
    env = {k: v for k, v in oscp_env(deps, tmp_path, refused_port()).items() if "WORKER_" not in k}
    with holders_seen(engine) as seen, workers(env, 1, "--interval", "1") as (first,):
        first.wait_for(LEADS)
        first.wait_for(TICK_REPORT)
        with workers(env, 1, "--interval", "1") as (second,):
            second.wait_for("Worker started")
            first.process.send_signal(signal.SIGSTOP)
            frozen = time.monotonic()
            took = second.wait_for(LEADS, after=frozen, timeout=WAIT_TAKEOVER)
            first.process.send_signal(signal.SIGCONT)
            thawed = time.monotonic()
            first.wait_for("stopped ticking", after=thawed, timeout=10)
            second.wait_for(TICK_REPORT, after=took)
            second.kill()
            killed = time.monotonic()
            back = first.wait_for(LEADS, after=killed, timeout=WAIT_TAKEOVER)
            first.wait_for(TICK_REPORT, after=back)
    by_expiry, by_death = took - frozen, back - killed
    print(f"takeover: {by_expiry:.1f} s after a freeze, {by_death:.1f} s after a SIGKILL")
    assert by_expiry <= TAKEOVER + SLACK, f"took {by_expiry:.1f} s"
    assert by_death <= TAKEOVER + SLACK, f"took {by_death:.1f} s"
    # The thawed leader never ticks while the other leads; the other never before it leads.
    assert [tick for tick in first.ticks() if thawed < tick < back] == [], first.output()
    assert all(tick > took for tick in second.ticks()), second.output()
    assert len(seen) == 3 and seen[0] == seen[2] != seen[1], seen
