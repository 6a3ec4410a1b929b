"""The compiled machine: no gate bypass, every failed gate named, unknown triggers refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from states.definitions.diagram import draw
from states.errors import GateBlocked, TransitionNotAllowed
from states.rules.compiler import AuditModel
from tests.support.rules import CATALOGUE, NothingYet, context


class TermsRecorded(NothingYet):
    def terms_recorded(self) -> bool:
        return True


@pytest.mark.parametrize("audit_type", CATALOGUE.audit_types)
def test_no_auto_transitions(audit_type: str) -> None:
    machine = CATALOGUE.current(audit_type).machine
    assert machine.auto_transitions is False
    assert not [name for name in machine.events if name.startswith("to_")]


def test_blocked_transition_lists_every_failed_gate() -> None:
    mace = CATALOGUE.current("mace")
    model = AuditModel("AUD-T", "impact_monitoring")
    ctx = context(mace, "impact_monitoring", "close", {"agency_lead"})
    with pytest.raises(GateBlocked) as blocked:
        mace.fire(model, "close", ctx)
    assert [f.gate for f in blocked.value.failures] == ["role_allowed"]
    assert "only coordinator may do this, and Pat holds agency_lead" in str(blocked.value)
    assert model.state == "impact_monitoring"

    model = AuditModel("AUD-T", "awaiting_sign_off")
    ctx = context(mace, "awaiting_sign_off", "request_further_assurance", {"chair"})
    with pytest.raises(GateBlocked) as blocked:
        mace.fire(model, "request_further_assurance", ctx)
    assert [f.gate for f in blocked.value.failures] == [
        "role_allowed",
        "reason_given",
        "sign_off_refused",
    ]


def test_unknown_and_out_of_state_triggers_are_refused() -> None:
    mace = CATALOGUE.current("mace")
    with pytest.raises(TransitionNotAllowed, match="'sign_off' is not allowed"):
        mace.transition(reference="AUD-T", state="planning", trigger="sign_off")
    model = AuditModel("AUD-T", "planning")
    ctx = context(mace, "planning", "agree_terms_of_reference", {"coordinator"})
    with pytest.raises(TransitionNotAllowed, match="allowed now: agree_terms_of_reference"):
        mace.fire(model, "no_such_trigger", ctx)
    model.state = "closed"
    with pytest.raises(TransitionNotAllowed, match="none \\(the audit is closed\\)"):
        mace.fire(model, "withdraw", ctx)


def test_passing_gates_move_the_model() -> None:
    mace = CATALOGUE.current("mace")
    model = AuditModel("AUD-T", "planning")
    ctx = context(mace, "planning", "agree_terms_of_reference", {"coordinator"})
    with pytest.raises(GateBlocked, match="terms_recorded"):
        mace.fire(model, "agree_terms_of_reference", ctx)
    ctx = replace(ctx, facts=TermsRecorded())
    assert mace.fire(model, "agree_terms_of_reference", ctx) == "terms_of_reference_agreed"
    ctx = context(mace, "terms_of_reference_agreed", "withdraw", {"coordinator"}, reason="Merged")
    assert mace.fire(model, "withdraw", ctx) == "withdrawn"


@pytest.mark.parametrize("audit_type", CATALOGUE.audit_types)
def test_diagrams(audit_type: str) -> None:
    definition = CATALOGUE.current(audit_type).definition
    mermaid = draw(definition, "mermaid", current=definition.initial_state)
    assert "stateDiagram-v2" in mermaid
    assert f"Class {definition.initial_state} s_active" in mermaid
    assert "From any open state: " in mermaid and "withdraw to withdrawn" in mermaid
    dot = draw(definition, "dot", current="closed")
    assert dot.startswith("digraph") and "closed" in dot
    for t in definition.transitions:
        if not t.internal and t.sources != ("*",):
            assert f": {t.trigger}" in mermaid
