"""The stages page's steps read and taken, on both stores: what blocks each and who may take
it; a step taken once however often its form is sent; someone else's move refused; a step
for another role refused as not the person's to take; withdrawal needing its reason."""

from __future__ import annotations

import pytest

from states.errors import ConcurrencyConflict, GateBlocked, PermissionDenied
from states.rules.steps import ReasonAsked
from states.services import audits, queries, steps
from states.services.deps import Deps
from tests.support.driver import drive
from tests.support.partnership import email


def test_steps_say_what_blocks_them_and_who_may_take_them(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", "returns_open").reference
    found = steps.steps_of(deps, audit=reference, viewer=email("coordinator"))
    assert found.state_title == "Case audits open" and not found.ended
    [close] = found.steps
    assert close.trigger == "close_returns" and close.dest_title == "Moderation"
    assert close.may_take and close.who_may == "chair or coordinator"
    assert close.reason is ReasonAsked.OPTIONAL
    assert [f.gate for f in close.waiting_on] == ["all_returns_in"]
    assert found.withdrawal is not None and found.withdrawal.may_take
    assert found.withdrawal.reason is ReasonAsked.REQUIRED
    by_chair = steps.steps_of(deps, audit=reference, viewer=email("chair"), done="open_returns")
    assert by_chair.withdrawal is not None and not by_chair.withdrawal.may_take
    assert by_chair.done == "Open case audits to agencies"
    with pytest.raises(PermissionDenied, match="only the coordinator may withdraw"):
        steps.withdrawal_of(deps, audit=reference, viewer=email("chair"))


def test_a_step_sent_twice_from_one_page_is_taken_once(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "returns_open")
    driver.collect_returns()  # the data changed since nobody's page: no stop to the step
    seen = steps.steps_of(deps, audit=driver.reference, viewer=email("chair")).version - 1
    first = steps.take_step(
        deps,
        audit=driver.reference,
        trigger="close_returns",
        actor=email("chair"),
        reason=None,
        seen_version=seen,
    )
    assert not first.again and first.fired.to_state == "moderation"
    again = steps.take_step(
        deps,
        audit=driver.reference,
        trigger="close_returns",
        actor=email("chair"),
        reason=None,
        seen_version=seen,
    )
    assert again.again and again.fired == first.fired
    history = queries.history(deps, audit=driver.reference)
    assert [e.trigger for e in history].count("close_returns") == 1


def test_someone_elses_move_since_the_page_was_read_is_refused(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "moderation")
    seen = steps.steps_of(deps, audit=driver.reference, viewer=email("chair")).version
    driver.moderate_findings()
    audits.fire(deps, audit=driver.reference, trigger="complete_moderation", actor=email("chair"))
    with pytest.raises(ConcurrencyConflict):
        steps.take_step(
            deps,
            audit=driver.reference,
            trigger="withdraw",
            actor=email("coordinator"),
            reason="Merged with another audit",
            seen_version=seen,
        )


def test_a_step_of_another_role_is_not_the_persons_to_take(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", "moderation").reference
    with pytest.raises(PermissionDenied, match="only the chair may complete moderation"):
        steps.take_step(
            deps,
            audit=reference,
            trigger="complete_moderation",
            actor=email("lhm"),
            reason=None,
            seen_version=None,
        )


def test_withdrawal_needs_its_reason(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", "planning").reference
    with pytest.raises(GateBlocked) as blocked:
        steps.take_step(
            deps,
            audit=reference,
            trigger="withdraw",
            actor=email("coordinator"),
            reason="  ",
            seen_version=None,
        )
    assert [f.gate for f in blocked.value.failures] == ["reason_given"]
    steps.take_step(
        deps,
        audit=reference,
        trigger="withdraw",
        actor=email("coordinator"),
        reason="Merged with another audit",
        seen_version=None,
    )
    found = steps.steps_of(deps, audit=reference, viewer=email("coordinator"))
    assert found.ended and found.steps == () and found.withdrawal is None
