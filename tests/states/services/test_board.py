"""The programme board's "due this quarter" (``states.services.board``), on both stores:
recurring work comes round each quarter or year while its programme runs, and no more once
the programme's period has ended (the last day a time round may start)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from states.clock import FakeClock
from states.services.board import board
from states.services.deps import Deps
from states.services.programme import load_programme
from tests.conftest import ROOT

# Its period runs from 1 April 2025 to 31 March 2028.
PROGRAMME = ROOT / "definitions" / "programme" / "oscp-2025-28.yaml"
RECURRING = {"effectiveness-report", "training-impact-annual", "programme-review"}


@pytest.fixture
def planned(partnership: Deps, clock: FakeClock) -> Deps:
    clock.set(datetime(2025, 6, 30, 9, tzinfo=UTC))
    load_programme(partnership, PROGRAMME)
    return partnership


def due_on(deps: Deps, clock: FakeClock, day: date) -> set[str]:
    clock.set(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))
    return {entry.key for entry in board(deps).due} & RECURRING


def test_recurring_work_is_due_while_its_programme_runs(planned: Deps, clock: FakeClock) -> None:
    assert due_on(planned, clock, date(2025, 8, 4)) == {"effectiveness-report"}
    assert due_on(planned, clock, date(2027, 5, 4)) == RECURRING
    # The last quarterly report starts on 1 January 2028, inside the period, due in February.
    assert due_on(planned, clock, date(2028, 2, 7)) == {"effectiveness-report"}


def test_recurring_work_is_due_no_more_once_its_programme_has_ended(
    planned: Deps, clock: FakeClock
) -> None:
    # April to June 2028: May's report and June's review would start in April 2028, after
    # the period; June's training-impact audit started in September 2027, within it.
    assert due_on(planned, clock, date(2028, 5, 8)) == {"training-impact-annual"}
    assert due_on(planned, clock, date(2030, 5, 6)) == set()
