"""A year of the engine, on its one clock: the worker's ticks, the desks, and the people who
act by link, each at its own moment, in the order of the clock.

The worker ticks every hour from 07:00 to 19:00 London, every day of the year (its sweep and
relay asking the database what is due, as the real worker does every minute; between those
hours nothing falls due, since reminders go at 09:00). Each tick sends everything due, as
many rounds as it takes. The mail server's new letters are then read, and each reader's
errand is put in the diary for its day. Audits start on their planned day at 10:00 and their
desks visit them at 14:00 on working days, the next visit one to three working days after a
step, three after a gate held them.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time as timer
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial

from rich.progress import Progress

from bench.year.desk import Audit, Desk
from bench.year.mailbox import MailServer
from bench.year.nation import Partnership
from bench.year.people import People, Task
from bench.year.plan import YEAR_ENDS, YEAR_STARTS, Planned
from notifications.relay import RelayConfig
from notifications.smtp import SmtpMailer
from states.clock import LONDON, FakeClock
from states.services.deps import Deps
from states.services.due import outbox_due
from workflows.runtime import Runtime
from workflows.tick import RELAY_BATCH, RELAY_ROUNDS, tick, tick_as_flows

TICK_HOURS = range(7, 20)


@dataclass(frozen=True)
class Relaying:
    mail_from: str = "OSCP Learning Hub <hub@nation.example.org>"
    base_url: str = "https://audits.nation.example.org"
    mail_domain: str = "nation.example.org"


@dataclass
class Phases:
    """Seconds spent in each part of the year's work."""

    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    @contextmanager
    def timing(self, phase: str) -> Iterator[None]:
        started = timer.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] += timer.perf_counter() - started


def london(day: date, at: time) -> datetime:
    return datetime.combine(day, at, LONDON)


@dataclass
class Year:
    deps: Deps
    clock: FakeClock
    server: MailServer
    seed: int = 2026
    # Each tick's parts as Prefect flow runs (``tick_as_flows``), as a worker with Prefect.
    through_prefect: bool = False
    phases: Phases = field(default_factory=Phases)
    audits: list[Audit] = field(default_factory=list)
    ticks: int = 0

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        self.desk = Desk(self.deps, rng)
        self.people = People(self.deps, rng)
        self.rng = rng
        self.mailer = SmtpMailer("127.0.0.1", self.server.port)
        self.config: RelayConfig = Relaying()
        self._diary: list[tuple[datetime, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def at(self, when: datetime, what: Callable[[], None]) -> None:
        heapq.heappush(self._diary, (when, next(self._order), what))

    def live(self, plans: list[Planned], *, last_day: date = YEAR_ENDS) -> None:
        """Every day from the year's first to ``last_day`` (the year's last unless cut short)."""
        for plan in plans:
            self.at(london(plan.on, time(10)), partial(self._start, plan))
        self.at(london(YEAR_STARTS, time(TICK_HOURS[0])), self._tick)
        end = london(last_day + timedelta(days=1), time(0))
        days = (last_day - YEAR_STARTS).days + 1
        with Progress(transient=True) as progress:
            bar = progress.add_task("A year of audits", total=days)
            shown = YEAR_STARTS
            while self._diary and self._diary[0][0] < end:
                when, _, what = heapq.heappop(self._diary)
                self.clock.set(when)
                what()
                today = when.astimezone(LONDON).date()
                if today > shown:
                    progress.advance(bar, (today - shown).days)
                    if today.month != shown.month and not progress.console.is_terminal:
                        print(f"  {today:%B %Y} begins", flush=True)
                    shown = today
        self.clock.set(end)
        with self.phases.timing("last desk round"):
            for audit in self.audits:
                if not audit.closed:
                    self.desk.visit(audit)

    def _tick(self) -> None:
        now = self.clock.now().astimezone(LONDON)
        with self.phases.timing("worker: ticks"):
            # The worker ticks every minute; between two of the simulation's hourly ticks
            # nothing falls due, and a busy hour's mail is what its minutes would send.
            while self._one_tick():
                pass
        self.ticks += 1
        with self.phases.timing("people: reading"):
            for letter in self.server.take():
                planned = self.people.read(letter)
                if planned is not None:
                    when, task = planned
                    self.at(when, partial(self._act, task))
        hour = now.hour + 1
        following = now.date() if hour in TICK_HOURS else now.date() + timedelta(days=1)
        self.at(london(following, time(hour if hour in TICK_HOURS else TICK_HOURS[0])), self._tick)

    def _one_tick(self) -> bool:
        """One tick; True when its relay stopped at its limit with mail still due."""
        if self.through_prefect:
            ticked = tick_as_flows(Runtime(self.deps, self.mailer, self.config))
            return outbox_due(self.deps) if ticked.relay.sent else False
        ticked = tick(self.deps, self.mailer, self.config)
        relayed = ticked.relay
        return relayed.sent + relayed.deferred + relayed.failed >= RELAY_BATCH * RELAY_ROUNDS

    def _act(self, task: Task) -> None:
        with self.phases.timing(f"people: {task.errand}"):
            self.people.act(task)

    def _start(self, plan: Planned) -> None:
        with self.phases.timing("desks: starting"):
            audit = self.desk.start(
                Partnership(plan.partnership), plan.audit_type, plan.theme, plan.on
            )
        self.audits.append(audit)
        self._visit_later(audit, 1)

    def _visit(self, audit: Audit) -> None:
        before = self.desk.steps
        with self.phases.timing("desks: visits"):
            still_open = self.desk.visit(audit)
        if still_open:
            self._visit_later(audit, self.rng.randint(1, 3) if self.desk.steps > before else 3)

    def _visit_later(self, audit: Audit, working_days: int) -> None:
        today = self.clock.now().astimezone(LONDON).date()
        day = self.deps.calendar.add_working_days(today, working_days)
        self.at(london(day, time(14)), partial(self._visit, audit))
