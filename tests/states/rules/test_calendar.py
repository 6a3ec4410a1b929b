"""The working-day calendar against England & Wales bank holidays, 2025 to 2028."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from states.rules.calendar import WorkingCalendar

# Published England & Wales bank holidays (substitute days where one falls at a weekend).
BANK_HOLIDAYS = {
    date(2025, 1, 1),
    date(2025, 4, 18),
    date(2025, 4, 21),
    date(2025, 5, 5),
    date(2025, 5, 26),
    date(2025, 8, 25),
    date(2025, 12, 25),
    date(2025, 12, 26),
    date(2026, 1, 1),
    date(2026, 4, 3),
    date(2026, 4, 6),
    date(2026, 5, 4),
    date(2026, 5, 25),
    date(2026, 8, 31),
    date(2026, 12, 25),
    date(2026, 12, 28),
    date(2027, 1, 1),
    date(2027, 3, 26),
    date(2027, 3, 29),
    date(2027, 5, 3),
    date(2027, 5, 31),
    date(2027, 8, 30),
    date(2027, 12, 27),
    date(2027, 12, 28),
    date(2028, 1, 3),
    date(2028, 4, 14),
    date(2028, 4, 17),
    date(2028, 5, 1),
    date(2028, 5, 29),
    date(2028, 8, 28),
    date(2028, 12, 25),
    date(2028, 12, 26),
}
CALENDAR = WorkingCalendar()


def test_working_days_match_the_published_bank_holidays() -> None:
    day, mismatches = date(2025, 1, 1), []
    while day <= date(2028, 12, 31):
        expected = day.weekday() < 5 and day not in BANK_HOLIDAYS
        if CALENDAR.is_working_day(day) != expected:
            mismatches.append(day)
        day += timedelta(days=1)
    assert mismatches == []


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 12, 18), 10, date(2027, 1, 6)),  # Christmas, Boxing Day (Mon 28th), New Year
        (date(2026, 3, 2), 30, date(2026, 4, 15)),  # Good Friday and Easter Monday
        (date(2025, 4, 17), 1, date(2025, 4, 22)),  # Thursday before Easter to Tuesday after
        (date(2027, 12, 24), 1, date(2027, 12, 29)),  # both Christmas substitutes
        (date(2027, 12, 31), 1, date(2028, 1, 4)),  # New Year's Day substitute, Monday 3rd
        (date(2028, 5, 26), 1, date(2028, 5, 30)),  # spring bank holiday
        (date(2025, 8, 22), 5, date(2025, 9, 1)),  # summer bank holiday
        (date(2026, 1, 5), -5, date(2025, 12, 24)),  # counting back across Christmas
        (date(2026, 10, 23), 0, date(2026, 10, 23)),
    ],
)
def test_working_day_additions(start: date, days: int, expected: date) -> None:
    assert CALENDAR.add_working_days(start, days) == expected


def test_deadlines_fall_at_close_of_business_london_time() -> None:
    winter = CALENDAR.due_at(
        datetime(2026, 12, 18, 10, tzinfo=UTC), working_days=10, calendar_days=None
    )
    summer = CALENDAR.due_at(
        datetime(2026, 6, 1, 10, tzinfo=UTC), working_days=1, calendar_days=None
    )
    assert winter == datetime(2027, 1, 6, 17, tzinfo=UTC)  # GMT
    assert summer == datetime(2026, 6, 2, 16, tzinfo=UTC)  # 17:00 BST
    # Entered late on a Sunday evening in London: counting starts from the Sunday.
    late = CALENDAR.due_at(
        datetime(2026, 11, 29, 23, 30, tzinfo=UTC), working_days=1, calendar_days=None
    )
    assert late == datetime(2026, 11, 30, 17, tzinfo=UTC)
    assert CALENDAR.due_at(
        datetime(2026, 1, 1, 12, tzinfo=UTC), working_days=None, calendar_days=90
    ) == datetime(2026, 4, 1, 16, tzinfo=UTC)
