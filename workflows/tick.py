"""One tick of periodic work: start the quarter's effectiveness report if it is not yet
started, turn due reminder rungs into messages, then send what is due.

The tick decides nothing by itself: each part asks the database what is due now, so a tick
that comes late (or twice) does exactly the work that is due, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from notifications.relay import RelayConfig, RelayResult, relay
from notifications.smtp import Mailer
from states.services.deps import Deps
from states.services.quarterly import ensure_quarterly_report
from states.services.sweep import SweepResult, sweep
from workflows.runtime import Runtime, install


@dataclass(frozen=True)
class QuarterlyPeople:
    """Who starts the quarterly effectiveness report (a coordinator) and who writes it."""

    coordinator: str
    lead: str


@dataclass(frozen=True)
class TickResult:
    sweep: SweepResult
    relay: RelayResult
    quarterly_report: str | None = None


def tick(
    deps: Deps, mailer: Mailer, config: RelayConfig, quarterly: QuarterlyPeople | None = None
) -> TickResult:
    report = None
    if quarterly is not None:
        report = ensure_quarterly_report(
            deps, coordinator=quarterly.coordinator, lead=quarterly.lead
        ).reference
    swept = sweep(deps)
    return TickResult(swept, relay(deps, mailer, config=config), report)


def tick_as_flows(runtime: Runtime, quarterly: QuarterlyPeople | None = None) -> TickResult:
    """The same tick, each part as a Prefect flow run, so the UI shows every one (with its
    retries). Prefect is imported only here: a worker without it ticks directly."""
    from workflows.flows import outbox_relay_flow, quarterly_report_flow, reminder_sweep_flow

    install(runtime)
    report = None
    if quarterly is not None:
        report = quarterly_report_flow(coordinator=quarterly.coordinator, lead=quarterly.lead)
    swept = reminder_sweep_flow()
    relayed = outbox_relay_flow()
    reference = report["reference"] if isinstance(report, dict) else None
    return TickResult(SweepResult(**swept), RelayResult(**relayed), reference)
