"""Quarters of the year as the partnership speaks of them, and the names of the months.

The partnership's year runs April to March, so October to December 2026 is "2026-27 Q3";
the programme board and letters name the same quarter by its months. One type serves both,
so the board's "due this quarter" and the quarterly report can never disagree on a boundary.
Month names are spelled out here rather than taken from strftime, which follows the locale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def plain_day(day: date) -> str:
    """ "2 March 2026": a calendar date as it is written in the partnership's letters."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


@dataclass(frozen=True, order=True)
class Quarter:
    year: int  # the calendar year of its months
    first_month: int  # 1, 4, 7 or 10

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 * 3 + 1)

    @property
    def months(self) -> range:
        return range(self.first_month, self.first_month + 3)

    @property
    def starts_on(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def label(self) -> str:
        """ "October to December 2026"."""
        first, last = MONTH_NAMES[self.first_month - 1], MONTH_NAMES[self.first_month + 1]
        return f"{first} to {last} {self.year}"

    @property
    def partnership_year(self) -> str:
        """ "2026-27": the April-to-March year the quarter falls in."""
        first = self.year if self.first_month >= 4 else self.year - 1
        return f"{first}-{(first + 1) % 100:02d}"

    @property
    def partnership_label(self) -> str:
        """ "2026-27 Q3": April to June is the first quarter."""
        return f"{self.partnership_year} Q{(self.first_month - 4) % 12 // 3 + 1}"
