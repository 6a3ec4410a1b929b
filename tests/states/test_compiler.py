"""The compiled machine: no gate bypass, every failed gate named, unknown triggers refused."""

from __future__ import annotations

from datetime import date

import pytest

from states.catalogue import Catalogue
from states.compiler import AuditModel, CompiledType
from states.diagram import draw
from states.errors import GateBlocked, TransitionNotAllowed
from states.gates import CaseWindow, GateContext, SignOffDecision
from tests.conftest import DEFINITIONS

CATALOGUE = Catalogue.from_directory(DEFINITIONS)


class NothingYet:
    """An audit with no returns, findings, decisions, cases or concerns."""

    def participation_count(self) -> int:
        return 0

    def outstanding_returns(self) -> list[str]:
        return []

    def finding_counts(self) -> tuple[int, int]:
        return (0, 0)

    def sign_off_decisions(self, round_: int) -> list[SignOffDecision]:
        return []

    def cases(self) -> list[CaseWindow]:
        return []

    def unassigned_cases(self) -> list[str]:
        return []

    def conflicted_assignments(self) -> list[tuple[str, str]]:
        return []

    def open_escalations(self) -> list[str]:
        return []

    def deep_dive_count(self) -> int:
        return 0

    def deep_dive_without_feedback(self) -> list[str]:
        return []

    def open_actions(self) -> list[str]:
        return []


def context(
    compiled: CompiledType, state: str, trigger: str, roles: set[str], reason: str | None = None
) -> GateContext:
    return GateContext(
        audit_reference="AUD-T",
        audit_started_on=date(2026, 3, 2),
        lead_id=1,
        sign_off_round=1,
        actor_id=9,
        actor_name="Pat",
        actor_roles=frozenset(roles),
        definition=compiled.definition,
        transition=compiled.transition(reference="AUD-T", state=state, trigger=trigger),
        facts=NothingYet(),
        reason=reason,
    )


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
