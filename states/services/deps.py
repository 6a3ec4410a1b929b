"""What every service needs, passed in rather than imported, so tests can swap the clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from states.clock import Clock
from states.persistence.uow import UnitOfWorkFactory
from states.rules.calendar import WorkingCalendar
from states.rules.catalogue import Catalogue


@dataclass(frozen=True)
class Deps:
    uow: UnitOfWorkFactory
    catalogue: Catalogue
    clock: Clock
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    # How the requests came when no person made them directly, e.g. "via Prefect (flow run
    # ...)": every event they write says so beside its reason, so the history tells a
    # person's own act from one started by the operator's identity through a channel.
    via: str | None = None

    def recorded_reason(self, reason: str | None) -> str | None:
        """The reason an event keeps: the person's own words, then how the request came.
        Only what is stored carries ``via``; gates that ask for a reason see the person's."""
        if self.via is None:
            return reason
        return f"{reason} ({self.via})" if reason else self.via
