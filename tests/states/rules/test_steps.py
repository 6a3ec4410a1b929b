"""Which transitions the stages page offers as steps, which is withdrawal, what each asks
for, and a blocked step said in plain words."""

from __future__ import annotations

import pytest

from states.definitions.gate_names import REASON_GIVEN, ROLE_ALLOWED
from states.errors import GateFailure
from states.rules.steps import (
    ReasonAsked,
    is_step,
    is_withdrawal,
    reason_asked,
    reason_missing,
    refused_sentence,
    waiting_on,
    who_may,
)
from tests.support.rules import CATALOGUE


@pytest.mark.parametrize("audit_type", CATALOGUE.audit_types)
def test_each_type_withdraws_one_way_and_every_other_move_is_a_step(audit_type: str) -> None:
    definition = CATALOGUE.current(audit_type).definition
    withdrawals = [t.trigger for t in definition.transitions if is_withdrawal(definition, t)]
    assert withdrawals == ["withdraw"]
    steps = {t.trigger for t in definition.transitions if is_step(definition, t)}
    internal = {t.trigger for t in definition.transitions if t.internal}
    assert internal == {"raise_immediate_risk", "record_assurance"}
    assert steps == {t.trigger for t in definition.transitions} - internal - {"withdraw"}


def test_what_a_step_asks_for_and_who_may_take_it() -> None:
    definition = CATALOGUE.current("mace").definition
    by_trigger = {t.trigger: t for t in definition.transitions}
    assert reason_asked(by_trigger["resubmit_for_sign_off"]) is ReasonAsked.REQUIRED
    assert reason_asked(by_trigger["close_returns"]) is ReasonAsked.OPTIONAL
    assert who_may(by_trigger["close_returns"]) == ("coordinator", "chair"), "not the engine's"


def test_a_blocked_step_in_plain_words() -> None:
    found = [
        GateFailure(ROLE_ALLOWED, "only chair may do this"),
        GateFailure(REASON_GIVEN, "a reason must be given"),
        GateFailure("actions_complete", "2 actions are still open: Northvale Police"),
    ]
    assert waiting_on(found) == (found[2],), "who asks, and the reason, are not in the way"
    assert reason_missing(found) and not reason_missing(found[2:])
    assert refused_sentence("Close the audit", found[2:]) == (
        "Could not close the audit: 2 actions are still open: Northvale Police."
    )
