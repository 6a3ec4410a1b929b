"""What the engine reads from the declared stages, and that it is what it used to read from
the gates."""

from __future__ import annotations

import json
from collections import deque

import pytest

from states.definitions.loader import load_text
from states.definitions.model import AuditTypeDefinition
from states.errors import DefinitionError
from states.rules.catalogue import Catalogue
from states.rules.stages import Stages, declares_stages, derive, with_inferred_stages
from tests.support.paths import DEFINITIONS
from tests.support.rules import CATALOGUE

ENGINE_FACTS = (
    "open_states",
    "collecting",
    "moderating",
    "signing_off",
    "drafting",
    "submitted",
    "after_sign_off",
    "closing",
    "approvals",
    "refusals",
)


# --- the engine before stages were declared, as an oracle --------------------------------


def _moves(d: AuditTypeDefinition) -> list[tuple[str, tuple[str, ...], str, list[str]]]:
    return [
        (t.trigger, t.sources, t.dest, t.gates)
        for t in d.transitions
        if not t.internal and t.dest is not None and t.sources != ("*",)
    ]


def _reach(d: AuditTypeDefinition, start: set[str]) -> set[str]:
    edges = {(s, dest) for _, sources, dest, _ in _moves(d) for s in sources}
    seen, queue = set(start), deque(start)
    while queue:
        state = queue.popleft()
        for source, dest in edges:
            if source == state and dest not in seen:
                seen.add(dest)
                queue.append(dest)
    return seen


def gate_inferred(d: AuditTypeDefinition) -> dict[str, object]:
    """How messages.py, report_stages.py, action_plan.py, returns.py and findings.py read an
    audit type from its gates before states declared their stage."""
    moves = _moves(d)
    open_states = {s.name for s in d.states if not s.final}
    sign_off = {s for _, sources, _, gates in moves if "sign_off_quorum" in gates for s in sources}
    approved = {dest for _, _, dest, gates in moves if "sign_off_quorum" in gates}
    drafting = {s for _, sources, dest, _ in moves if dest in sign_off for s in sources} - sign_off
    return {
        "open_states": open_states,
        "collecting": {
            s.name
            for s in d.states
            if any(s.name in t.sources for t in d.transitions if "all_returns_in" in t.gates)
        },
        "moderating": {
            s.name
            for s in d.states
            if any(s.name in t.sources for t in d.transitions if "findings_moderated" in t.gates)
        },
        "signing_off": sign_off,
        "drafting": drafting,
        "submitted": (_reach(d, sign_off) - drafting) & open_states,
        "after_sign_off": _reach(d, approved) & open_states if approved else open_states,
        "closing": d.final_states
        | {s for _, sources, dest, _ in moves if dest in d.final_states for s in sources},
        "approvals": {
            s: trigger
            for trigger, sources, _, gates in moves
            if "sign_off_quorum" in gates
            for s in sources
        },
        "refusals": {
            s: trigger
            for trigger, sources, _, gates in moves
            if "sign_off_refused" in gates
            for s in sources
        },
    }


def facts(stages: Stages) -> dict[str, object]:
    return {name: getattr(stages, name) for name in ENGINE_FACTS}


@pytest.mark.parametrize("audit_type", CATALOGUE.audit_types)
def test_declared_stages_mean_what_the_gates_meant(audit_type: str) -> None:
    """No behaviour change: every shipped type reads as it did when gates said it all."""
    compiled = CATALOGUE.current(audit_type)
    assert facts(compiled.stages) == gate_inferred(compiled.definition)


def test_mace_stages() -> None:
    stages = CATALOGUE.current("mace").stages
    assert stages.collecting == {"returns_open"}
    assert stages.moderating == {"moderation"}
    assert stages.drafting == {"report_drafting", "further_assurance_requested"}
    assert stages.submitted == {
        "awaiting_sign_off",
        "actions_agreed",
        "dissemination",
        "impact_monitoring",
    }
    assert stages.after_sign_off == {"actions_agreed", "dissemination", "impact_monitoring"}
    assert stages.closing == {"impact_monitoring", "closed", "withdrawn"}
    assert stages.approves("awaiting_sign_off", "sign_off")
    assert stages.refuses("awaiting_sign_off", "request_further_assurance")
    assert not stages.approves("report_drafting", "submit_for_sign_off")
    assert stages.refusal_triggers == {"request_further_assurance"}
    assert stages.can_edit("report_drafting") and not stages.can_edit("awaiting_sign_off")
    assert stages.can_freeze("awaiting_sign_off") and not stages.can_freeze("report_drafting")
    assert stages.can_publish("dissemination") and not stages.can_publish("awaiting_sign_off")
    assert not stages.can_edit("closed")


def test_an_exception_is_drafted_by_its_agency() -> None:
    """Single-agency exceptions: the agency writes the exception report as its return, and
    its response is what goes for sign-off."""
    stages = CATALOGUE.current("single_agency_exception").stages
    assert stages.drafting == {"assurance_requested", "further_assurance_requested"}
    assert stages.collecting == {"exception_drafting"}
    assert stages.closing == {"triage", "impact_monitoring", "closed", "withdrawn"}


MINIMAL = """\
schema_version: 1
audit_type: minimal
title: Minimal audit
description: No sign-off.
framework_reference: Section 1
tool: mace_case_file
roles: [coordinator, chair]
states:
  - name: planning
    title: Planning
    stage: planning
    initial: true
  - name: returns_open
    title: Returns open
    stage: collecting_returns
  - name: closed
    title: Closed
    stage: closed
    final: true
transitions:
  - trigger: open_returns
    title: Open returns
    source: planning
    dest: returns_open
    roles: [coordinator]
  - trigger: close
    title: Close the audit
    source: returns_open
    dest: closed
    roles: [coordinator]
    gates: [all_returns_in]
"""


def test_without_sign_off_the_report_is_written_frozen_and_shared_anywhere_open() -> None:
    stages = derive(load_text(MINIMAL, "minimal.yaml"))
    assert not stages.has_sign_off
    assert stages.collecting == {"returns_open"}
    for state in ("planning", "returns_open"):
        assert stages.can_edit(state) and stages.can_freeze(state) and stages.can_publish(state)
    assert not stages.can_publish("closed")
    assert stages.approvals == {} and stages.refusal_triggers == frozenset()


def test_a_quorum_gate_off_the_signing_off_state_is_refused_at_load() -> None:
    """Adding a gate to a transition cannot quietly make it send "signed off" e-mails."""
    mace = (DEFINITIONS / "mace.yaml").read_text(encoding="utf-8")
    edited = mace.replace(
        "    dest: dissemination\n    roles: [coordinator, chair]\n",
        "    dest: dissemination\n    roles: [coordinator, chair]\n    gates: [sign_off_quorum]\n",
    )
    assert edited != mace
    with pytest.raises(DefinitionError, match="may only gate a way out of a signing_off state"):
        load_text(edited, "mace.yaml")


def test_the_compiled_type_carries_its_stages() -> None:
    for audit_type in CATALOGUE.audit_types:
        compiled = CATALOGUE.current(audit_type)
        assert compiled.stages == derive(compiled.definition)


# --- definitions stored before states declared their stage -------------------------------


def _stored_before_stages(definition: AuditTypeDefinition) -> str:
    data = json.loads(definition.canonical_json())
    for state in data["states"]:
        del state["stage"]
    # Nor did types then declare what they share (nor did an agency raise an exception).
    del data["dissemination"], data["raised_by_agency"]
    for transition in data["transitions"]:
        transition["gates"] = [g for g in transition["gates"] if g != "dissemination_recorded"]
    return json.dumps(data)


def test_a_stored_definition_says_whether_it_declares_stages() -> None:
    mace = CATALOGUE.current("mace").definition
    assert declares_stages(mace.canonical_json())
    assert not declares_stages(_stored_before_stages(mace))


@pytest.mark.parametrize("audit_type", CATALOGUE.audit_types)
def test_an_audit_started_before_stages_keeps_its_meaning(audit_type: str) -> None:
    """Its snapshot declares no stage: they are inferred from its gates when it is read back,
    so the audit moves, asks and sends as it did."""
    current = CATALOGUE.current(audit_type)
    old = _stored_before_stages(current.definition)
    catalogue = Catalogue.from_directory(DEFINITIONS)
    compiled = catalogue.by_hash("0" * 64, lambda _hash: old)
    assert all(s.stage is None for s in AuditTypeDefinition.model_validate_json(old).states)
    assert facts(compiled.stages) == facts(current.stages)


def test_inference_leaves_states_the_gates_say_nothing_about() -> None:
    mace = CATALOGUE.current("mace").definition
    bare = mace.model_copy(
        update={"states": [s.model_copy(update={"stage": None}) for s in mace.states]}
    )
    inferred = {s.name: s.stage for s in with_inferred_stages(bare).states}
    assert inferred["planning"] is None and inferred["dissemination"] is None
    assert inferred["returns_open"] == "collecting_returns"
    assert inferred["further_assurance_requested"] == "further_assurance"
