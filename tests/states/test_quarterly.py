"""The quarterly effectiveness report: the partnership's quarters, and one audit per quarter
however often, however late and from however many workers the tick asks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from oscp_flow.demo import email
from states import tables as t
from states.clock import FakeClock
from states.services.deps import Deps
from states.services.quarterly import Quarter, ensure_quarterly_report


@pytest.mark.parametrize(
    ("day", "label", "starts"),
    [
        (date(2026, 4, 1), "2026-27 Q1", date(2026, 4, 1)),
        (date(2026, 6, 30), "2026-27 Q1", date(2026, 4, 1)),
        (date(2026, 11, 26), "2026-27 Q3", date(2026, 10, 1)),
        (date(2027, 1, 1), "2026-27 Q4", date(2027, 1, 1)),
        (date(2027, 3, 31), "2026-27 Q4", date(2027, 1, 1)),
    ],
)
def test_quarters_follow_the_partnership_year(day: date, label: str, starts: date) -> None:
    quarter = Quarter.of(day)
    assert (quarter.label, quarter.starts_on) == (label, starts)


def _ensure(deps: Deps) -> str:
    return ensure_quarterly_report(
        deps, coordinator=email("coordinator"), lead=email("chair")
    ).reference


def _themes(deps: Deps) -> list[str]:
    with deps.uow(readonly=True) as uow:
        return list(
            uow.connection.execute(
                select(t.audit.c.theme).where(t.audit.c.audit_type == "effectiveness_report")
            ).scalars()
        )


def test_one_report_per_quarter_however_often_asked(partnership: Deps, clock: FakeClock) -> None:
    clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))  # still Q3 in London
    with ThreadPoolExecutor(max_workers=6) as pool:
        first = set(pool.map(lambda _: _ensure(partnership), range(12)))
    assert len(first) == 1
    clock.advance(timedelta(hours=1))  # New Year's Day: Q4
    assert _ensure(partnership) not in first
    clock.advance(timedelta(days=70))  # a worker down for weeks asks again, still Q4
    _ensure(partnership)
    assert sorted(_themes(partnership)) == [
        "Safeguarding effectiveness report 2026-27 Q3",
        "Safeguarding effectiveness report 2026-27 Q4",
    ]
