"""One tick of periodic work: start the partnership's calendar work that is due (the
quarter's effectiveness report, the year's programme review) if nobody has, turn due
reminder rungs into messages, then send what is due.

The tick decides nothing by itself: each part asks the database what is due now, so a tick
that comes late (or twice) does exactly the work that is due, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from notifications.relay import RelayConfig, RelayResult, relay
from notifications.smtp import Mailer
from states.errors import AuditEngineError
from states.services.deps import Deps
from states.services.recurring import ensure_programme_review, ensure_quarterly_report
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
    started: tuple[str, ...] = ()
    if calendar is not None:
        people = {"coordinator": calendar.coordinator, "lead": calendar.lead}
        quarterly = _calendar_work(lambda: ensure_quarterly_report(deps, **people).reference)
        review = _calendar_work(lambda: ensure_programme_review(deps, **people).reference)
        started = tuple(ref for ref in (quarterly, review) if ref is not None)
    swept = sweep(deps)
    return TickResult(swept, relay(deps, mailer, config=config), started)


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


def _calendar_work(start: Callable[[], T]) -> T | None:
    """The calendar's audits are started before the sweep; one that cannot start (its type's
    definition refused, its people removed) is logged and skipped, so reminders and e-mail
    still go out on this tick and the next tries again."""
    try:
        return start()
    except AuditEngineError as exc:
        log.warning("calendar work not started this tick: %s", exc)
        return None
