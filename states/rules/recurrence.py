"""When recurring programme work comes round: each occurrence of a quarterly or annual entry,
counted from the plan's own first due month rather than from calendar quarters.

The plan names months, not days ("Quarterly (first submission date August 25)"), so an
occurrence is due in a month and starts on the first day of a month a declared number of
months before it. Months are counted as one number (year * 12 + month - 1) so that adding a
quarter or a year never has to think about where a year ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from states.definitions.programme import EVERY_MONTHS
from states.rules.quarters import MONTH_NAMES


def _month_number(year: int, month: int) -> int:
    return year * 12 + month - 1


@dataclass(frozen=True, order=True)
class Occurrence:
    """One time round: the month it is due in, and the day its audit starts."""

    due_year: int
    due_month: int
    starts_on: date

    @property
    def label(self) -> str:
        """ "August 2025": the due month, as the partnership's letters write it."""
        return f"{MONTH_NAMES[self.due_month - 1]} {self.due_year}"

    @property
    def key(self) -> str:
        """ "2025-08": part of the request key that makes each occurrence start once."""
        return f"{self.due_year:04d}-{self.due_month:02d}"


@dataclass(frozen=True)
class Recurrence:
    first_due: tuple[int, int]  # (year, month) of the first occurrence
    every_months: int
    starts_months_before_due: int = 0
    # The last day an occurrence may start (the programme's period ends): none after it.
    until: date | None = None

    @classmethod
    def of(
        cls,
        *,
        year: int,
        month: int,
        recurring: str,
        starts_months_before_due: int | None,
        until: date | None,
    ) -> Recurrence:
        return cls((year, month), EVERY_MONTHS[recurring], starts_months_before_due or 0, until)

    def nth(self, n: int) -> Occurrence:
        due = _month_number(*self.first_due) + n * self.every_months
        start = due - self.starts_months_before_due
        return Occurrence(due // 12, due % 12 + 1, date(start // 12, start % 12 + 1, 1))

    def current(self, today: date) -> Occurrence | None:
        """The latest occurrence started by ``today``, current until the next would start:
        a worker that was down over a start day starts it late rather than never. None
        before the first starts, and when the latest would start after ``until``."""
        since_first_start = (
            _month_number(today.year, today.month)
            - _month_number(*self.first_due)
            + self.starts_months_before_due
        )
        if since_first_start < 0:
            return None
        occurrence = self.nth(since_first_start // self.every_months)
        if self.until is not None and occurrence.starts_on > self.until:
            return None
        return occurrence

    def due_in(self, year: int, month: int) -> Occurrence | None:
        """The occurrence due in this month, if one is: none before the first, in a month
        between two, or once they would start after ``until`` (as ``current`` counts them)."""
        since_first = _month_number(year, month) - _month_number(*self.first_due)
        if since_first < 0 or since_first % self.every_months:
            return None
        occurrence = self.nth(since_first // self.every_months)
        if self.until is not None and occurrence.starts_on > self.until:
            return None
        return occurrence
