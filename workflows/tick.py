"""One tick of periodic work: start the programme's recurring work whose time has come (each
quarter's effectiveness report, each year's training-impact audit and programme review, as
the plan declares them) if nobody has, turn due reminder rungs into messages, then send what
is due.

The tick decides nothing by itself: each part asks the database what is due now, so a tick
that comes late (or twice) does exactly the work that is due, once.

Through Prefect, a part runs as a flow run only when something is due for it
(``states.services.due``, one indexed look each): a run is a record kept in Prefect's
database and shown in its UI, and a tick a minute would otherwise make three a minute,
half a million a year, burying the audits' own runs. A tick with nothing due makes no run,
but the first such tick of each hour makes one heartbeat run, so the UI still shows the
worker alive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from notifications.relay import RelayConfig, RelayResult, relay
from notifications.smtp import Mailer
from states.clock import LONDON
from states.errors import AuditEngineError
from states.services.deps import Deps
from states.services.due import calendar_rounds, claim_quiet_hour, outbox_due, reminders_due
from states.services.recurring import calendar_work, start_calendar_work
from states.services.sweep import SweepResult, sweep
from workflows.runtime import CalendarPeople, Runtime, install

log = logging.getLogger("workflows.tick")
# A tick's relay sends at most this many rounds of this many messages (a few seconds of SMTP
# over one connection per round); anything more waits for the next tick.
RELAY_BATCH = 100
RELAY_ROUNDS = 20
T = TypeVar("T")


@dataclass(frozen=True)
class TickResult:
    sweep: SweepResult
    relay: RelayResult
    started: tuple[str, ...] = ()  # the calendar audits' references (old or new)


def tick(
    deps: Deps, mailer: Mailer, config: RelayConfig, calendar: CalendarPeople | None = None
) -> TickResult:
    """One tick without Prefect. A part with nothing due is not run at all (one indexed look
    each, ``states.services.due``), so a quiet minute costs two lookups however much history
    the database holds; the relay sends everything due, round after round, up to
    ``RELAY_ROUNDS`` rounds, so a busy morning's mail goes in a minute, not an hour."""
    started = () if calendar is None else start_calendar(deps, calendar)
    swept = sweep(deps) if reminders_due(deps) else SweepResult(0, 0)
    return TickResult(swept, relay_due(deps, mailer, config), started)


def relay_due(deps: Deps, mailer: Mailer, config: RelayConfig) -> RelayResult:
    """Relay rounds while a round finds a full batch, at most ``RELAY_ROUNDS``; what is left
    goes on the next tick."""
    sent = deferred = failed = 0
    for _ in range(RELAY_ROUNDS):
        if not outbox_due(deps):
            break
        result = relay(deps, mailer, config=config, batch=RELAY_BATCH)
        sent, deferred, failed = (
            sent + result.sent,
            deferred + result.deferred,
            failed + result.failed,
        )
        if result.sent + result.deferred + result.failed < RELAY_BATCH:
            break
    return RelayResult(sent, deferred, failed)


def start_calendar(deps: Deps, people: CalendarPeople) -> tuple[str, ...]:
    """The references of the recurring work whose time has come, each started (and linked
    to its programme entry) unless it was already; one that cannot start is skipped."""
    due = _calendar_work(partial(calendar_work, deps)) or ()
    named = {"coordinator": people.coordinator, "lead": people.lead}
    started = (
        _calendar_work(
            partial(start_calendar_work, deps, work, **named),
            what=f"{work.entry.key} due {work.occurrence.label}",
        )
        for work in due
    )
    return tuple(reference for reference in started if reference is not None)


def tick_as_flows(runtime: Runtime) -> TickResult:
    """The same tick, each part that has something due as a Prefect flow run (tagged
    ``periodic``, the part, and the audits it touched), so the UI shows each piece of work
    with its retries, and not the clock. A tick with nothing due makes no run, except that
    the first such tick of an hour (on the engine's clock) makes a ``periodic-heartbeat``
    run. The calendar's people come from the runtime, as for any run of that flow. Prefect
    is imported only here: a worker without it ticks directly."""
    from workflows.flows import outbox_relay_flow, reminder_sweep_flow

    install(runtime)
    deps = runtime.deps
    calendar_ran, started = _calendar_as_flow(runtime)
    swept = SweepResult(**reminder_sweep_flow()) if reminders_due(deps) else None
    # Asked after the calendar and the sweep, whose work queues messages of its own.
    relayed = RelayResult(**outbox_relay_flow()) if outbox_due(deps) else None
    if not calendar_ran and swept is None and relayed is None:
        _heartbeat(deps)
    return TickResult(
        SweepResult(0, 0) if swept is None else swept,
        RelayResult() if relayed is None else relayed,
        started,
    )


def _calendar_as_flow(runtime: Runtime) -> tuple[bool, tuple[str, ...]]:
    """Whether the calendar ran, and its audits: started by the run when a time round has
    none yet, else read as they stand (what the run would have returned)."""
    if runtime.calendar is None:
        return False, ()
    from workflows.flows import calendar_flow

    rounds = calendar_rounds(runtime.deps)
    if not rounds.due:
        return False, rounds.started
    result = _calendar_work(calendar_flow)
    return True, tuple(result.values()) if isinstance(result, dict) else ()


def _heartbeat(deps: Deps) -> None:
    """The hour's one run saying nothing was due, unless an earlier tick made it."""
    from workflows.flows import heartbeat_flow

    hour = claim_quiet_hour(deps)
    if hour is not None:
        heartbeat_flow(hour=hour.astimezone(LONDON))


def _calendar_work(start: Callable[[], T], what: str = "calendar work") -> T | None:
    """The calendar's audits are started before the sweep; one that cannot start (its type's
    definition refused, its people removed) is logged and skipped, so the others start and
    reminders and e-mail still go out on this tick, and the next tries again."""
    try:
        return start()
    except AuditEngineError as exc:
        log.warning("%s not started this tick: %s", what, exc)
        return None
