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


@dataclass(frozen=True)
class TickResult:
    sweep: SweepResult
    relay: RelayResult


def tick(deps: Deps, mailer: Mailer, config: RelayConfig) -> TickResult:
    swept = sweep(deps)
    return TickResult(swept, relay(deps, mailer, config=config))
