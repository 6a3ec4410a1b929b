"""The quarterly safeguarding effectiveness report: one audit per quarter, started once.

The partnership's year runs April to March, so Q1 is April-June. The tick asks each time it
runs; the quarter's request key makes every ask after the first return the same audit, so
downtime over a quarter's start only delays it and two workers cannot start it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from states.clock import LONDON
from states.services.audits import Fired, start_audit
from states.services.deps import Deps

AUDIT_TYPE = "effectiveness_report"


@dataclass(frozen=True)
class Quarter:
    first_year: int  # the partnership year 2026-27 has first_year 2026
    number: int  # 1 (April-June) to 4 (January-March)

    @classmethod
    def of(cls, day: date) -> Quarter:
        shifted = (day.month - 4) % 12  # April -> 0
        first_year = day.year if day.month >= 4 else day.year - 1
        return cls(first_year, shifted // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.first_year}-{(self.first_year + 1) % 100:02d} Q{self.number}"

    @property
    def starts_on(self) -> date:
        month = 4 + (self.number - 1) * 3
        return date(self.first_year + (month > 12), (month - 1) % 12 + 1, 1)


def ensure_quarterly_report(deps: Deps, *, coordinator: str, lead: str) -> Fired:
    """The current quarter's report audit, started now if nobody has started it yet."""
    quarter = Quarter.of(deps.clock.now().astimezone(LONDON).date())
    return start_audit(
        deps,
        audit_type=AUDIT_TYPE,
        theme=f"Safeguarding effectiveness report {quarter.label}",
        lead=lead,
        actor=coordinator,
        started_on=quarter.starts_on,
        request_key=f"{AUDIT_TYPE}:{quarter.label}",
    )
