"""The one clock for periodic work: APScheduler ticks, and only the lease holder ticks.

APScheduler (3.x) only decides *when*: its single interval job runs in UTC (so a clock change
neither skips nor doubles it), with a generous misfire grace and coalescing, so hours of
downtime end in one tick that does all the work then due. Its job store is a table in the
engine's own database. Several ``oscp worker`` processes may run; a lease in the database
lets one schedule and keeps the others idle until it lapses.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from states.lease import Lease

log = logging.getLogger(__name__)

LEASE_NAME = "periodic-work"
JOB_ID = "oscp-tick"
# A tick missed by up to a day still runs (once, coalesced) when the worker is back.
JOB_DEFAULTS: dict[str, Any] = {"coalesce": True, "misfire_grace_time": 86_400, "max_instances": 1}

# The running worker's tick, for the job below: the job store keeps only a reference to
# ``run_tick``, never the objects it needs, so the worker hands them over here.
_running: dict[str, Callable[[], object]] = {}


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


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Worker:
    lease: Lease
    engine: Engine
    tick: Callable[[], object]
    interval: timedelta

    def run(self, stop: threading.Event) -> None:
        """Hold the lease and schedule ticks until ``stop``; idle while another worker leads."""
        renew_every = self.lease.duration.total_seconds() / 3
        scheduler: BackgroundScheduler | None = None
        try:
            while not stop.is_set():
                scheduler = self._lead_or_wait(scheduler)
                stop.wait(renew_every)
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=True)
                _running.pop("tick", None)
                self.lease.release()

    def _lead_or_wait(self, scheduler: BackgroundScheduler | None) -> BackgroundScheduler | None:
        if self.lease.acquire():
            if scheduler is None:
                log.info("this worker now schedules the periodic work")
                _running["tick"] = self.tick
                scheduler = build_scheduler(self.engine, interval=self.interval)
                scheduler.start()
            return scheduler
        if scheduler is not None:  # the lease lapsed under us: stop before someone else starts
            log.warning("lease lost; stopping the scheduler")
            scheduler.shutdown(wait=True)
            _running.pop("tick", None)
        return None
