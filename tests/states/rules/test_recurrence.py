"""Times round of recurring work, counted from the plan: the quarterly effectiveness report
from its first submission in August 2025, the annual audits from their own months, and none
once the programme's period has ended."""

from __future__ import annotations

from datetime import date, timedelta

from states.rules.recurrence import Occurrence, Recurrence

PERIOD_ENDS = date(2028, 3, 31)
# "Quarterly (first submission date August 25)", started the month before each is due.
QUARTERLY = Recurrence.of(
    year=2025, month=8, recurring="quarterly", starts_months_before_due=1, until=PERIOD_ENDS
)
# Section 7's annual audit: started each September, due each June.
TRAINING = Recurrence.of(
    year=2026, month=6, recurring="annual", starts_months_before_due=9, until=PERIOD_ENDS
)


def times_round(recurrence: Recurrence, first: date, last: date) -> list[Occurrence]:
    """Each time round that is current on some day from ``first`` to ``last``, in order."""
    found: list[Occurrence] = []
    day = first
    while day <= last:
        current = recurrence.current(day)
        if current is not None and current not in found:
            found.append(current)
        day += timedelta(days=1)
    return found


def test_the_quarterly_report_comes_round_from_the_plan_s_first_submission() -> None:
    found = times_round(QUARTERLY, date(2025, 4, 1), date(2028, 9, 30))
    assert [o.label for o in found] == [
        "August 2025",
        "November 2025",
        "February 2026",  # "Q3 to be presented in March 26"
        "May 2026",
        "August 2026",
        "November 2026",
        "February 2027",
        "May 2027",
        "August 2027",
        "November 2027",
        "February 2028",  # the last to start (1 January) before the period ends
    ]
    # Due in August, November, February and May, not at the calendar quarters' ends ...
    assert {o.due_month for o in found} == {8, 11, 2, 5}
    # ... each started on the first of the month before.
    assert [o.starts_on for o in found[:4]] == [
        date(2025, 7, 1),
        date(2025, 10, 1),
        date(2026, 1, 1),
        date(2026, 4, 1),
    ]


def test_a_time_round_is_current_from_its_start_until_the_next_starts() -> None:
    assert QUARTERLY.current(date(2025, 6, 30)) is None  # before the first starts
    first = QUARTERLY.current(date(2025, 7, 1))
    assert first == Occurrence(2025, 8, date(2025, 7, 1))
    assert (first.key, first.label) == ("2025-08", "August 2025")
    # A worker back after weeks away still finds it: late, not missed.
    assert QUARTERLY.current(date(2025, 9, 30)) == first
    assert QUARTERLY.current(date(2025, 10, 1)) == Occurrence(2025, 11, date(2025, 10, 1))
    assert QUARTERLY.current(date(2028, 3, 31)) == Occurrence(2028, 2, date(2028, 1, 1))
    assert QUARTERLY.current(date(2028, 4, 1)) is None  # the period has ended


def test_the_annual_training_impact_audit_comes_round_each_september() -> None:
    found = times_round(TRAINING, date(2025, 1, 1), date(2028, 12, 31))
    assert [(o.starts_on, o.label) for o in found] == [
        (date(2025, 9, 1), "June 2026"),
        (date(2026, 9, 1), "June 2027"),
        (date(2027, 9, 1), "June 2028"),
    ]
    assert TRAINING.current(date(2025, 8, 31)) is None


def test_without_a_lead_time_or_an_end_it_starts_in_its_due_month_for_ever() -> None:
    review = Recurrence.of(
        year=2026, month=4, recurring="annual", starts_months_before_due=None, until=None
    )
    assert review.current(date(2026, 3, 31)) is None
    assert review.current(date(2031, 4, 1)) == Occurrence(2031, 4, date(2031, 4, 1))


def test_the_time_round_due_in_a_month_is_one_that_comes_round() -> None:
    """``due_in`` (the board's "due this quarter") and ``current`` (the worker's calendar)
    count the same times round: none between two, none starting after the period."""
    months = [(year, month) for year in range(2024, 2031) for month in range(1, 13)]
    for recurrence in (QUARTERLY, TRAINING):
        due = [o for y, m in months if (o := recurrence.due_in(y, m)) is not None]
        assert due == times_round(recurrence, date(2024, 1, 1), date(2030, 12, 31))
    assert QUARTERLY.due_in(2028, 2) == Occurrence(2028, 2, date(2028, 1, 1))
    assert QUARTERLY.due_in(2028, 5) is None  # it would start on 1 April 2028
    assert QUARTERLY.due_in(2025, 9) is None and QUARTERLY.due_in(2025, 5) is None
