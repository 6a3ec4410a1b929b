"""What every service needs, passed in rather than imported, so tests can swap the clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from states.calendar import WorkingCalendar
from states.catalogue import Catalogue
from states.clock import Clock
from states.uow import UnitOfWorkFactory


@dataclass(frozen=True)
class Deps:
    uow: UnitOfWorkFactory
    catalogue: Catalogue
    clock: Clock
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
