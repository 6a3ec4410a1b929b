"""Recurring work follows the plan, on SQLite and PostgreSQL: each time round of the quarterly
effectiveness report, the annual training-impact audit and the programme review starts on the
day the programme file derives, once however often, late or concurrently the calendar asks,
and is linked to its programme entry, so the board never shows it as "not from the
programme"."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from states.clock import FakeClock
from states.errors import InvalidInput
from states.persistence import tables as t
from states.services import audits
from states.services.board import board
from states.services.deps import Deps
from states.services.programme import (
    link_audit,
    list_entries,
    load_programme,
    start_from_programme,
)
from states.services.recurring import calendar_work, start_calendar_work
from tests.conftest import ROOT
from tests.support.partnership import email

PROGRAMME = ROOT / "definitions" / "programme" / "oscp-2025-28.yaml"
PEOPLE = {"coordinator": email("coordinator"), "lead": email("chair")}
QUARTERLY = "effectiveness-report"


def ask(deps: Deps) -> dict[str, str]:
    """One pass of the calendar, as the worker's tick makes it: each entry's audit."""
    return {
        work.entry.key: start_calendar_work(deps, work, **PEOPLE) for work in calendar_work(deps)
    }


def at(clock: FakeClock, day: date) -> None:
    """Mid-morning in London on ``day`` (09:00 UTC is 09:00 or 10:00 there)."""
    clock.set(datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC))


def started(deps: Deps) -> list[tuple[str, str, date]]:
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.audit.c.audit_type, t.audit.c.theme, t.audit.c.started_on).order_by(
                t.audit.c.id
            )
        ).all()
    return [(kind, theme, on) for kind, theme, on in rows]


def by_hand(deps: Deps) -> audits.Fired:
    """`oscp programme start effectiveness-report`, as the coordinator."""
    return start_from_programme(
        deps, key=QUARTERLY, lead=email("chair"), actor=email("coordinator")
    )


@pytest.fixture
def planned(partnership: Deps, clock: FakeClock) -> Deps:
    at(clock, date(2025, 6, 30))
    load_programme(partnership, PROGRAMME)
    return partnership


def test_over_a_year_each_time_round_starts_on_the_day_the_plan_gives(
    planned: Deps, clock: FakeClock
) -> None:
    first_seen: dict[str, date] = {}
    day = date(2025, 6, 30)
    while day <= date(2026, 6, 30):
        at(clock, day)
        for reference in ask(planned).values():
            first_seen.setdefault(reference, day)
        day += timedelta(days=1)
    report = "What difference are we making. Safeguarding effectiveness report"
    training = "Annual audit of the impact of multi-agency training"
    review = "Annual review of the audit programme"
    assert started(planned) == [
        # Due in August 2025 and every three months after, each from the 1st of the month before.
        ("effectiveness_report", f"{report} (due August 2025)", date(2025, 7, 1)),
        ("training_impact", f"{training} (due June 2026)", date(2025, 9, 1)),
        ("effectiveness_report", f"{report} (due November 2025)", date(2025, 10, 1)),
        ("effectiveness_report", f"{report} (due February 2026)", date(2026, 1, 1)),
        ("effectiveness_report", f"{report} (due May 2026)", date(2026, 4, 1)),
        ("programme_review", f"{review} (due June 2026)", date(2026, 4, 1)),
    ]
    # Each started by the first pass on its day, not a day late.
    assert sorted(first_seen.values()) == [
        date(2025, 7, 1),
        date(2025, 9, 1),
        date(2025, 10, 1),
        date(2026, 1, 1),
        date(2026, 4, 1),
        date(2026, 4, 1),
    ]


def test_the_board_shows_each_against_its_programme_entry(planned: Deps, clock: FakeClock) -> None:
    by_day = {}
    for day in (date(2025, 7, 1), date(2025, 9, 1), date(2025, 10, 1), date(2026, 4, 1)):
        at(clock, day)
        by_day[day] = ask(planned)
    shown = board(planned)
    assert shown.unplanned == ()
    entries = {a.reference: a.entry for a in shown.in_progress}
    assert entries == {
        by_day[date(2025, 7, 1)][QUARTERLY]: QUARTERLY,
        by_day[date(2025, 10, 1)][QUARTERLY]: QUARTERLY,
        by_day[date(2026, 4, 1)][QUARTERLY]: QUARTERLY,
        by_day[date(2025, 9, 1)]["training-impact-annual"]: "training-impact-annual",
        by_day[date(2026, 4, 1)]["programme-review"]: "programme-review",
    }
    # The programme lists each recurring entry with its latest time round's audit.
    listed = {e.key: e.audit_reference for e in list_entries(planned)}
    assert listed[QUARTERLY] == by_day[date(2026, 4, 1)][QUARTERLY]


def test_each_time_round_starts_once_however_often_and_concurrently_asked(
    planned: Deps, clock: FakeClock
) -> None:
    at(clock, date(2025, 9, 1))
    with ThreadPoolExecutor(max_workers=6) as pool:
        passes = list(pool.map(lambda _: ask(planned), range(12)))
    assert all(p == passes[0] for p in passes)
    assert set(passes[0]) == {QUARTERLY, "training-impact-annual"}
    # A worker down for weeks asks again within the same time round: the same audits.
    at(clock, date(2025, 9, 30))
    assert ask(planned) == passes[0]
    assert len(started(planned)) == 2


def test_a_start_cut_short_before_its_link_is_linked_on_the_next_ask(
    planned: Deps, clock: FakeClock
) -> None:
    at(clock, date(2025, 7, 1))
    (work,) = calendar_work(planned)
    # The worker stopped between starting the audit and linking it to the entry.
    made = audits.start_audit(
        planned,
        audit_type=work.entry.audit_type,
        theme=work.entry.theme_for(work.occurrence),
        actor=PEOPLE["coordinator"],
        lead=PEOPLE["lead"],
        request_key=work.entry.request_key(work.occurrence),
    ).reference
    assert board(planned).unplanned[0].reference == made
    assert ask(planned) == {QUARTERLY: made}
    assert board(planned).unplanned == () and len(started(planned)) == 1


def test_a_person_starting_a_time_round_starts_the_calendar_s_audit(
    planned: Deps, clock: FakeClock
) -> None:
    with pytest.raises(InvalidInput, match="first comes round on 1 July 2025; start it then"):
        by_hand(planned)
    at(clock, date(2025, 7, 14))
    started = by_hand(planned).reference
    assert ask(planned)[QUARTERLY] == started
    with pytest.raises(InvalidInput, match=f"already has audit {started} for August 2025"):
        by_hand(planned)
    at(clock, date(2025, 10, 1))
    assert ask(planned)[QUARTERLY] != started  # the next time round is its own audit


def test_an_audit_started_by_hand_is_linked_to_the_current_time_round(
    planned: Deps, clock: FakeClock
) -> None:
    at(clock, date(2025, 10, 2))
    own = audits.start_audit(
        planned,
        audit_type="effectiveness_report",
        theme="Effectiveness report, second quarter",
        lead=email("chair"),
        actor=email("coordinator"),
    ).reference
    link_audit(planned, QUARTERLY, own)
    link_audit(planned, QUARTERLY, own)  # again: harmless
    assert ask(planned)[QUARTERLY] == own
    assert {a.reference: a.entry for a in board(planned).in_progress}[own] == QUARTERLY
    other = audits.start_audit(
        planned,
        audit_type="effectiveness_report",
        theme="Another",
        lead=email("chair"),
        actor=email("coordinator"),
    ).reference
    with pytest.raises(InvalidInput, match=f"already has audit {own} for November 2025"):
        link_audit(planned, QUARTERLY, other)


def test_nothing_starts_after_the_programme_s_period(planned: Deps, clock: FakeClock) -> None:
    at(clock, date(2028, 4, 1))
    # The training-impact audit of September 2027 runs until the next would start; the
    # quarterly report's next (May 2028) would start after the period.
    assert set(ask(planned)) == {"training-impact-annual"}
    with pytest.raises(InvalidInput, match="no time round left in its programme's period"):
        by_hand(planned)
    at(clock, date(2028, 9, 1))
    assert ask(planned) == {}
