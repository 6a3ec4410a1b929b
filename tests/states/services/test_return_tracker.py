"""The returns tracker (issue 17 item 3): each agency's returns against the round's deadline,
the reminders the sweep sent each (one per rung, however many of its people it went to),
who is overdue, and what the reader may do: resend a link (the organisers), extend the
deadline (the coordinator only)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from states.clock import FakeClock
from states.errors import PermissionDenied
from states.rules.return_progress import ReturnProgress
from states.services import returns
from states.services.deps import Deps
from states.services.return_tracker import Tracker, tracker
from states.services.sweep import sweep
from tests.support.driver import complete_answers, drive
from tests.support.partnership import email


def _tracker(deps: Deps, reference: str, local: str = "coordinator") -> Tracker:
    return tracker(deps, audit=reference, as_person=email(local))


def _submit_police(deps: Deps, reference: str, cases: list[str]) -> None:
    tool = deps.catalogue.tool("mace")
    assert tool is not None
    for case in cases:
        returns.submit(
            deps,
            audit=reference,
            actor=email("lead.police"),
            agency="police",
            case=case,
            answers=complete_answers(tool),
        )


def test_the_tracker_shows_the_deadline_and_who_may_be_chased(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "returns_open")
    _submit_police(deps, driver.reference, driver.cases)
    seen = _tracker(deps, driver.reference)
    assert seen.returns.open and seen.state_title == "Case audits open"
    assert seen.deadline is not None and seen.deadline.name == "case_audits_due"
    assert seen.deadline.due_at > deps.clock.now() and not seen.deadline.passed
    police = next(a for a in seen.returns.agencies if a.code == "police")
    assert police.status == ReturnProgress.SUBMITTED
    assert seen.resendable == {"csc", "community_health"}
    assert seen.overdue == frozenset()
    assert seen.may_extend
    assert seen.reminded("csc").count == 0

    chair = _tracker(deps, driver.reference, "chair")
    assert chair.resendable == seen.resendable and not chair.may_extend


def test_only_the_organisers_follow_the_returns(partnership: Deps) -> None:
    reference = drive(partnership, "mace", "returns_open").reference
    for someone in ("lhm", "auditor.one", "lead.police"):
        with pytest.raises(PermissionDenied, match="only the chair or coordinator"):
            _tracker(partnership, reference, someone)


def test_reminders_are_counted_per_agency_and_the_late_are_overdue(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    driver = drive(deps, "mace", "returns_open")
    _submit_police(deps, driver.reference, driver.cases)
    start = _tracker(deps, driver.reference)
    assert start.deadline is not None
    # A sweep each morning until a week after the deadline, as the worker's tick would.
    while clock.now() < start.deadline.due_at + timedelta(days=8):
        clock.advance(timedelta(days=1))
        sweep(deps)
    late = _tracker(deps, driver.reference)
    assert late.deadline is not None and late.deadline.passed
    # Before: 10, 5 and 1 working days; on the day; overdue after 2; escalated after 5.
    csc = late.reminded("csc")
    assert csc.count == 6 and csc.last_at is not None and csc.last_at <= clock.now()
    assert late.reminded("community_health").count == 6
    assert late.reminded("police").count == 0
    assert late.overdue == {"csc", "community_health"}
    assert late.resendable == {"csc", "community_health"}


def test_once_returns_close_nothing_is_offered(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", "moderation").reference
    closed = _tracker(deps, reference)
    assert not closed.returns.open
    assert closed.deadline is not None and closed.deadline.met_at is not None
    assert not closed.deadline.passed
    assert closed.resendable == frozenset() and not closed.may_extend
    assert closed.overdue == frozenset()
