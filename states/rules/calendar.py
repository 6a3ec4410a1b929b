"""Working days in Europe/London with England & Wales bank holidays.

Deadlines are declared in working (or calendar) days from the moment a state is entered and
stored as UTC instants: close of business (17:00 London time) on the day they fall due.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import holidays

from states.clock import LONDON, as_utc

CLOSE_OF_BUSINESS = time(17, 0)


class WorkingCalendar:
    def __init__(self, first_year: int = 2020, last_year: int = 2040) -> None:
        # Built once for a fixed span: the holidays object fills years lazily on lookup,
        # which is not safe to do from several threads at once.
        self._bank_holidays = holidays.country_holidays(
            "GB", subdiv="ENG", years=range(first_year, last_year + 1)
        )

    def is_bank_holiday(self, day: date) -> bool:
        return day in self._bank_holidays

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._bank_holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (or before it, when negative)."""
        step = 1 if days >= 0 else -1
        remaining = abs(days)
        day = start
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def due_at(
        self, entered: datetime, *, working_days: int | None, calendar_days: int | None
    ) -> datetime:
        local_day = as_utc(entered).astimezone(LONDON).date()
        if working_days is not None:
            due_day = self.add_working_days(local_day, working_days)
        elif calendar_days is not None:
            due_day = local_day + timedelta(days=calendar_days)
        else:
            raise ValueError("a deadline needs working_days or calendar_days")
        return close_of_business(due_day)


def close_of_business(day: date) -> datetime:
    return as_utc(datetime.combine(day, CLOSE_OF_BUSINESS, tzinfo=LONDON))
