"""The one clock for periodic work: APScheduler ticks, and only the lease holder ticks.

APScheduler (3.x) only decides *when*: its single interval job runs in UTC (so a clock change
neither skips nor doubles it), with a generous misfire grace and coalescing, so hours of
downtime end in one tick that does all the work then due. Its job store is a table in the
engine's own database. Several ``oscp worker`` processes may run; a lease in the database
lets one schedule and keeps the others idle until it lapses.

The lease is short and renewed often (12 s, every 3 s by default), so a follower takes over
within about 15 s of the leader's death, and at once when the dead leader was on the same
machine (``workflows.holders``). A leader stops ticking by its own monotonic deadline, one
renewal short of the lease's expiry, whether or not its renewals reach the database; a frozen
leader that wakes after someone else took over therefore never ticks again. A tick already
running when the lease is lost finishes: what it writes is safe twice anyway (reminder rungs
and calendar audits are keyed uniquely, each outbox row is claimed before it is sent).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any, TypeVar

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from states.clock import Clock
from states.errors import AuditEngineError
from states.persistence.db import OncePerCause, store_error
from states.persistence.lease import Lease
from states.persistence.uow import UnitOfWorkFactory
from workflows.holders import holder_alive, holder_name

log = logging.getLogger(__name__)

LEASE_NAME = "periodic-work"
JOB_ID = "oscp-tick"
# A tick missed by up to a day still runs (once, coalesced) when the worker is back.
JOB_DEFAULTS: dict[str, Any] = {"coalesce": True, "misfire_grace_time": 86_400, "max_instances": 1}
# What a renewal or a release may meet: the database failing, however it fails.
STORE_ERRORS = (SQLAlchemyError, AuditEngineError)

LOST = "Another worker leads now; this worker stopped ticking and waits."
LATE = (
    "This worker could not renew its lease in time, so it stopped ticking; it leads again "
    "once the database answers and no other worker has taken over."
)

# The running worker's tick, for the job below: the job store keeps only a reference to
# ``run_tick``, never the objects it needs, so the worker hands them over here.
_running: dict[str, Callable[[], object]] = {}
T = TypeVar("T")


def run_tick() -> None:
    """The scheduled job. Stored by reference in the job store, so it takes no arguments."""
    current = _running.get("tick")
    if current is None:
        log.warning("tick skipped: this process has no worker running")
        return
    current()


def build_scheduler(engine: Engine, *, interval: timedelta) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename="apscheduler_jobs")},
        job_defaults=JOB_DEFAULTS,
        timezone=UTC,
    )
    scheduler.add_job(
        "workflows.worker:run_tick",
        trigger=IntervalTrigger(seconds=int(interval.total_seconds()), timezone=UTC),
        id=JOB_ID,
        replace_existing=True,
    )
    return scheduler


def worker_lease(uow: UnitOfWorkFactory, clock: Clock, *, duration: timedelta) -> Lease:
    """This process's claim on the periodic work, which passes over holders found dead."""
    return Lease(
        uow,
        clock,
        name=LEASE_NAME,
        holder=holder_name(),
        duration=duration,
        holder_alive=holder_alive,
    )


def plain(exc: BaseException, engine: Engine) -> str:
    """One sentence for the operator, whatever broke: the engine's own, the database's cause
    (``states.persistence.db.store_error``), or, for a fault of the code, how to see it."""
    if isinstance(exc, AuditEngineError):
        return str(exc)
    if (cause := store_error(exc, engine.url)) is not None:
        return str(cause)
    return (
        f"The tick failed unexpectedly ({type(exc).__name__}); run `oscp worker --once` with "
        "OSCP_DEBUG=1 to see why, and report it."
    )


def release_quietly(lease: Lease) -> None:
    """Give the lease up if the database lets us; if not, it lapses by itself (and the next
    worker on this machine takes it at once when this process has gone)."""
    try:
        lease.release()
    except STORE_ERRORS as exc:
        log.info("lease not released (%s); it lapses by itself", type(exc).__name__)


def run_once(lease: Lease, tick: Callable[[], T], *, renew_every: timedelta) -> T | None:
    """One tick now, unless another live worker leads (then None). The lease is renewed while
    the tick runs and given up after it, whether the tick worked or not; the tick's own error,
    if any, is what the caller sees."""
    if not lease.acquire():
        return None
    done = threading.Event()
    renewal = threading.Thread(
        target=_keep_renewing, args=(lease, renew_every, done), name="lease-renewal", daemon=True
    )
    renewal.start()
    try:
        return tick()
    finally:
        done.set()
        renewal.join()
        release_quietly(lease)


def _keep_renewing(lease: Lease, every: timedelta, done: threading.Event) -> None:
    while not done.wait(every.total_seconds()):
        try:
            if not lease.acquire():
                log.warning(
                    "lease lost while a tick ran; the tick finishes (its writes are safe twice)"
                )
                return
        except STORE_ERRORS as exc:
            log.info("lease not renewed (%s)", type(exc).__name__)


@dataclass
class Worker:
    """Leads while it holds the lease: renews it every ``renew_every`` and ticks every
    ``interval`` while its own deadline allows. While another leads, it only asks, each
    round, whether the lease has come free."""

    lease: Lease
    engine: Engine
    tick: Callable[[], object]
    interval: timedelta
    renew_every: timedelta
    say: Callable[[str], None] = log.info
    monotonic: Callable[[], float] = time.monotonic
    _scheduler: BackgroundScheduler | None = field(default=None, init=False)
    _valid_until: float = field(default=-math.inf, init=False)
    _failed: bool = field(default=False, init=False)
    # Each problem is said once until it clears or another takes its place, not each round.
    _renewals: OncePerCause = field(default_factory=OncePerCause, init=False)
    _ticks: OncePerCause = field(default_factory=OncePerCause, init=False)

    def __post_init__(self) -> None:
        if self.lease.duration < 2 * self.renew_every:
            raise ValueError("the lease must last at least two renewal periods")

    @property
    def leading(self) -> bool:
        return self._scheduler is not None

    def run(self, stop: threading.Event) -> None:
        """Lead or wait, one round every ``renew_every``, until ``stop``."""
        try:
            while not stop.is_set():
                self.renew()
                stop.wait(self.renew_every.total_seconds())
        finally:
            self.step_down()

    def renew(self) -> bool:
        """One round: after a failed tick give the lease up (another worker may fare better);
        otherwise renew or take it, and start or stop ticking to match. True while leading."""
        try:
            return self._renew()
        finally:
            self._renewals.settle()

    def _renew(self) -> bool:
        if self._failed:
            self._failed = False
            self.step_down()
            log.info("lease given up after a failed tick")
            return False
        started = self.monotonic()
        try:
            held = self.lease.acquire()
        except STORE_ERRORS as exc:
            self._report(self._renewals, exc)
            return self._unrenewed()
        if not held:
            if self.leading:
                self.step_down()
                self.say(LOST)
            return False
        try:
            self._lead(valid_until=started + self._term())
        except STORE_ERRORS as exc:  # APScheduler could not write its job to the database
            self._report(self._renewals, exc)
            self.step_down()
            return False
        return True

    def tick_now(self) -> bool:
        """The scheduled job: tick, unless this worker's own deadline has passed (it may have
        been frozen, or cut off from the database, while another took over). True if it
        ticked; a failure is said (once per cause) and gives the lease up next round."""
        if self._failed or self.monotonic() >= self._valid_until:
            log.info("tick skipped: the lease was not renewed in time")
            return False
        try:
            self.tick()
        except Exception as exc:  # whatever broke, say why and let another worker try
            log.debug("tick failed", exc_info=True)
            self._report(self._ticks, exc)
            self._failed = True
        finally:
            self._ticks.settle()
        return not self._failed

    def step_down(self) -> None:
        """Stop ticking (after any tick already running) and let the lease go."""
        scheduler, self._scheduler = self._scheduler, None
        self._valid_until = -math.inf
        if scheduler is not None:
            scheduler.shutdown(wait=True)
            if _running.get("tick") == self.tick_now:
                del _running["tick"]
        release_quietly(self.lease)

    def _report(self, problems: OncePerCause, exc: BaseException) -> None:
        sentence = plain(exc, self.engine)
        if problems.first(sentence):
            self.say(sentence)

    def _term(self) -> float:
        """How long after a renewal starts this worker may tick: one renewal period short of
        the lease, so that clocks a little apart between machines still never overlap."""
        return (self.lease.duration - self.renew_every).total_seconds()

    def _lead(self, *, valid_until: float) -> None:
        self._valid_until = valid_until
        if self._scheduler is not None:
            return
        _running["tick"] = self.tick_now
        scheduler = build_scheduler(self.engine, interval=self.interval)
        scheduler.start()
        self._scheduler = scheduler
        self.say(
            f"This worker now leads ({self.lease.holder}): a tick every "
            f"{self.interval.total_seconds():g} s, its lease renewed every "
            f"{self.renew_every.total_seconds():g} s."
        )

    def _unrenewed(self) -> bool:
        """The database did not answer: lead on only until this worker's own deadline."""
        if self.monotonic() < self._valid_until:
            return self.leading
        if self.leading:
            self.step_down()
            self.say(LATE)
        return False
