"""One tick of periodic work: turn due reminder rungs into messages, then send what is due.

The tick decides nothing by itself: the sweep and the relay each ask the database what is
due now, so a tick that comes late (or twice) does exactly the work that is due, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from notifications.relay import RelayConfig, RelayResult, relay
from notifications.smtp import Mailer
from states.services.deps import Deps
from states.services.sweep import SweepResult, sweep
from workflows.runtime import Runtime, install


@dataclass(frozen=True)
class TickResult:
    sweep: SweepResult
    relay: RelayResult


def tick(deps: Deps, mailer: Mailer, config: RelayConfig) -> TickResult:
    swept = sweep(deps)
    return TickResult(swept, relay(deps, mailer, config=config))


def tick_as_flows(runtime: Runtime) -> TickResult:
    """The same tick, each half as a Prefect flow run, so the UI shows every sweep and relay
    (with their retries). Prefect is imported only here: a worker without it ticks directly."""
    from workflows.flows import outbox_relay_flow, reminder_sweep_flow

    install(runtime)
    swept = reminder_sweep_flow()
    relayed = outbox_relay_flow()
    return TickResult(SweepResult(**swept), RelayResult(**relayed))
