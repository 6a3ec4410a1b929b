"""The partnership's calendar: quarters of its April-to-March year, one effectiveness report
per quarter and one programme review per year, however often, late or concurrently asked."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from states.clock import FakeClock
from states.persistence import tables as t
from states.rules.quarters import Quarter
from states.services.deps import Deps
from states.services.recurring import ensure_programme_review, ensure_quarterly_report
from tests.support.partnership import email

PEOPLE = {"coordinator": email("coordinator"), "lead": email("chair")}


@pytest.mark.parametrize(
    ("day", "label", "months", "starts"),
    [
        (date(2026, 4, 1), "2026-27 Q1", "April to June 2026", date(2026, 4, 1)),
        (date(2026, 6, 30), "2026-27 Q1", "April to June 2026", date(2026, 4, 1)),
        (date(2026, 11, 26), "2026-27 Q3", "October to December 2026", date(2026, 10, 1)),
        (date(2027, 1, 1), "2026-27 Q4", "January to March 2027", date(2027, 1, 1)),
        (date(2027, 3, 31), "2026-27 Q4", "January to March 2027", date(2027, 1, 1)),
    ],
)
def test_quarters_follow_the_partnership_year(
    day: date, label: str, months: str, starts: date
) -> None:
    quarter = Quarter.of(day)
    assert (quarter.partnership_label, quarter.label, quarter.starts_on) == (label, months, starts)


def _themes(deps: Deps, audit_type: str) -> list[str]:
    with deps.uow(readonly=True) as uow:
        return sorted(
            uow.connection.execute(
                select(t.audit.c.theme).where(t.audit.c.audit_type == audit_type)
            ).scalars()
        )


def test_one_report_per_quarter_however_often_asked(partnership: Deps, clock: FakeClock) -> None:
    clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))  # still Q3 in London
    with ThreadPoolExecutor(max_workers=6) as pool:
        first = set(
            pool.map(lambda _: ensure_quarterly_report(partnership, **PEOPLE).reference, range(12))
        )
    assert len(first) == 1
    clock.advance(timedelta(hours=1))  # New Year's Day: Q4
    assert ensure_quarterly_report(partnership, **PEOPLE).reference not in first
    clock.advance(timedelta(days=70))  # a worker down for weeks asks again, still Q4
    ensure_quarterly_report(partnership, **PEOPLE)
    assert _themes(partnership, "effectiveness_report") == [
        "Safeguarding effectiveness report 2026-27 Q3",
        "Safeguarding effectiveness report 2026-27 Q4",
    ]


def test_one_programme_review_per_partnership_year(partnership: Deps, clock: FakeClock) -> None:
    clock.set(datetime(2027, 3, 31, 12, 0, tzinfo=UTC))
    first = ensure_programme_review(partnership, **PEOPLE).reference
    assert ensure_programme_review(partnership, **PEOPLE).reference == first
    clock.advance(timedelta(days=1))  # 1 April: a new partnership year
    assert ensure_programme_review(partnership, **PEOPLE).reference != first
    assert _themes(partnership, "programme_review") == [
        "Annual review of the audit programme 2026-27",
        "Annual review of the audit programme 2027-28",
    ]
