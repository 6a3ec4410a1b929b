"""One tick of periodic work: start the programme's recurring work whose time has come (each
quarter's effectiveness report, each year's training-impact audit and programme review, as
the plan declares them) if nobody has, turn due reminder rungs into messages, then send what
is due.

The tick decides nothing by itself: each part asks the database what is due now, so a tick
that comes late (or twice) does exactly the work that is due, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from notifications.relay import RelayConfig, RelayResult, relay
from notifications.smtp import Mailer
from states.errors import AuditEngineError
from states.services.deps import Deps
from states.services.recurring import calendar_work, start_calendar_work
from states.services.sweep import SweepResult, sweep
from workflows.runtime import CalendarPeople, Runtime, install

log = logging.getLogger("workflows.tick")
T = TypeVar("T")


@dataclass(frozen=True)
class TickResult:
    sweep: SweepResult
    relay: RelayResult
    started: tuple[str, ...] = ()  # the calendar audits' references (old or new)


def tick(
    deps: Deps, mailer: Mailer, config: RelayConfig, calendar: CalendarPeople | None = None
) -> TickResult:
    started = () if calendar is None else start_calendar(deps, calendar)
    swept = sweep(deps)
    return TickResult(swept, relay(deps, mailer, config=config), started)


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
    """The same tick, each part as a Prefect flow run, so the UI shows every one (with its
    retries). The calendar's people come from the runtime, as for any run of that flow.
    Prefect is imported only here: a worker without it ticks directly."""
    from workflows.flows import calendar_flow, outbox_relay_flow, reminder_sweep_flow

    install(runtime)
    started: tuple[str, ...] = ()
    if runtime.calendar is not None:
        result = _calendar_work(calendar_flow)
        started = tuple(result.values()) if isinstance(result, dict) else ()
    swept = reminder_sweep_flow()
    relayed = outbox_relay_flow()
    return TickResult(SweepResult(**swept), RelayResult(**relayed), started)


def _calendar_work(start: Callable[[], T], what: str = "calendar work") -> T | None:
    """The calendar's audits are started before the sweep; one that cannot start (its type's
    definition refused, its people removed) is logged and skipped, so the others start and
    reminders and e-mail still go out on this tick, and the next tries again."""
    try:
        return start()
    except AuditEngineError as exc:
        log.warning("%s not started this tick: %s", what, exc)
        return None
