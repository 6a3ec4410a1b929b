"""Property: whatever triggers are fired, in whatever order, with whatever facts the gates
see, an audit only ever moves along a declared transition and never past a failing gate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from states.definitions.roles import ROLES
from states.errors import GateBlocked, TransitionNotAllowed
from states.rules.catalogue import Catalogue
from states.rules.compiler import AuditModel, CompiledType
from states.rules.gates import CaseWindow, Decision, GateContext, SignOffDecision, failures
from tests.support.paths import DEFINITIONS

CATALOGUE = Catalogue.from_directory(DEFINITIONS)
STARTED = date(2026, 3, 2)


@dataclass
class RandomFacts:
    """Facts drawn by hypothesis: every gate sees an arbitrary but consistent world."""

    participations: int
    outstanding: list[str]
    findings: tuple[int, int]
    decisions: list[SignOffDecision]
    case_windows: list[CaseWindow]
    unassigned: list[str]
    conflicted: list[tuple[str, str]]
    undeclared: list[tuple[str, str]]
    terms: bool
    escalations: list[str]
    deep_dive: int
    no_feedback: list[str]
    unfinished_actions: list[str]
    shared: set[str]
    empty_sections: list[str]
    meetings: tuple[int, int] = (0, 0)  # held, still scheduled

    def participation_count(self) -> int:
        return self.participations

    def outstanding_returns(self) -> list[str]:
        return self.outstanding

    def finding_counts(self) -> tuple[int, int]:
        return self.findings

    def sign_off_decisions(self, round_: int) -> list[SignOffDecision]:
        return self.decisions

    def cases(self) -> list[CaseWindow]:
        return self.case_windows

    def unassigned_cases(self) -> list[str]:
        return self.unassigned

    def conflicted_assignments(self) -> list[tuple[str, str]]:
        return self.conflicted

    def undeclared_assignments(self) -> list[tuple[str, str]]:
        return self.undeclared

    def terms_recorded(self) -> bool:
        return self.terms

    def open_escalations(self) -> list[str]:
        return self.escalations

    def deep_dive_count(self) -> int:
        return self.deep_dive

    def awaiting_feedback(self) -> list[str]:
        return self.no_feedback

    def open_actions(self) -> list[str]:
        return self.unfinished_actions

    def shared_items(self) -> set[str]:
        return self.shared

    def empty_report_sections(self) -> list[str]:
        return self.empty_sections

    def meeting_counts(self) -> tuple[int, int]:
        return self.meetings


names = st.lists(st.sampled_from(["police", "health", "csc"]), max_size=2, unique=True)
decision = st.builds(
    SignOffDecision,
    person_id=st.integers(1, 5),
    person=st.just("member"),
    roles=st.frozensets(st.sampled_from(["learning_hub_member", "statutory_partner"]), max_size=2),
    decision=st.sampled_from(Decision),
)
facts = st.builds(
    RandomFacts,
    participations=st.integers(0, 3),
    outstanding=names,
    findings=st.tuples(st.integers(0, 3), st.integers(0, 3)).map(lambda t: (t[0], min(t))),
    decisions=st.lists(decision, max_size=4),
    case_windows=st.lists(
        st.builds(
            CaseWindow,
            reference=st.just("C-1"),
            last_intervention_on=st.none() | st.dates(date(2024, 1, 1), date(2026, 6, 1)),
        ),
        max_size=3,
    ),
    unassigned=st.lists(st.just("C-2"), max_size=1),
    conflicted=st.lists(st.just(("Auditor", "C-3")), max_size=1),
    undeclared=st.lists(st.just(("Auditor", "C-4")), max_size=1),
    terms=st.booleans(),
    escalations=names,
    deep_dive=st.integers(0, 2),
    no_feedback=names,
    unfinished_actions=names,
    shared=st.sets(st.sampled_from(["learning_hub", "website", "briefing"]), max_size=3),
    empty_sections=st.lists(
        st.sampled_from(["working_well", "emerging_concerns"]), max_size=2, unique=True
    ),
)
step = st.tuples(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
    | st.sampled_from(
        sorted(
            {
                t.trigger
                for c in CATALOGUE.audit_types
                for t in CATALOGUE.current(c).definition.transitions
            }
        )
    ),
    st.frozensets(st.sampled_from(sorted(ROLES)), max_size=3),
    facts,
    st.none() | st.just("Because"),
)


def _context(
    compiled: CompiledType,
    state: str,
    trigger: str,
    roles: frozenset[str],
    world: RandomFacts,
    reason: str | None,
) -> GateContext:
    return GateContext(
        audit_reference="AUD-TEST",
        audit_started_on=STARTED,
        lead_id=1,
        sign_off_round=1,
        actor_id=2,
        actor_name="Tester",
        actor_roles=roles,
        definition=compiled.definition,
        transition=compiled.transition(reference="AUD-TEST", state=state, trigger=trigger),
        facts=world,
        reason=reason,
    )


@pytest.mark.parametrize("audit_type", CATALOGUE.audit_types)
@settings(max_examples=60, deadline=None)
@given(steps=st.lists(step, min_size=1, max_size=40))
def test_random_triggers_stay_on_the_graph(
    audit_type: str, steps: list[tuple[str, frozenset[str], RandomFacts, str | None]]
) -> None:
    compiled = CATALOGUE.current(audit_type)
    declared = {(src, t.trigger): t for (src, _), t in compiled.by_source.items()}
    model = AuditModel("AUD-TEST", compiled.definition.initial_state)
    for trigger, roles, world, reason in steps:
        before = model.state
        transition = declared.get((before, trigger))
        if transition is None:
            with pytest.raises(TransitionNotAllowed):
                compiled.transition(reference="AUD-TEST", state=before, trigger=trigger)
            continue
        context = _context(compiled, before, trigger, roles, world, reason)
        expected_failures = compiled.gate_failures(context)
        try:
            after = compiled.fire(model, trigger, context)
        except GateBlocked as blocked:
            assert expected_failures and list(blocked.failures) == expected_failures
            assert model.state == before
            continue
        assert not expected_failures, "a transition passed a failing gate"
        assert failures(context, ("role_allowed",)) == []
        assert after == (before if transition.internal else transition.dest)
