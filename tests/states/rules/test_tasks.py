"""The audit's task list read from its type's definition and where the audit has been: which
parts each shipped type has, and where each stands along its path, round a refusal, after
a shortcut and after withdrawal."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from states.definitions.graph import main_path
from states.rules.tasks import OPTIONAL, Part, TaskStatus, task_list
from tests.support.rules import CATALOGUE

P = Part
S = TaskStatus
ALL = frozenset(Part)
# The parts each shipped type has (every other is "not needed for this type").
PARTS: dict[str, frozenset[Part]] = {
    "mace": ALL - {P.FEEDBACK, P.DEEP_DIVE},
    "dip_sample": ALL - {P.TERMS, P.FEEDBACK, P.DEEP_DIVE},
    "scrutiny_audit": ALL - {P.MEETING, P.SAMPLE, P.AUDITORS, P.FEEDBACK, P.DEEP_DIVE},
    "section_11": ALL - {P.MEETING, P.SAMPLE, P.AUDITORS, P.DEEP_DIVE},
    "section_175": ALL - {P.MEETING, P.TERMS, P.SAMPLE, P.AUDITORS},
    "deep_dive": ALL - {P.MEETING, P.TERMS, P.SAMPLE, P.AUDITORS, P.FEEDBACK, P.DEEP_DIVE},
    "benchmarking": ALL - {P.MEETING, P.TERMS, P.SAMPLE, P.AUDITORS, P.FEEDBACK, P.DEEP_DIVE},
    "training_impact": ALL - {P.MEETING, P.TERMS, P.SAMPLE, P.AUDITORS, P.FEEDBACK, P.DEEP_DIVE},
    "effectiveness_report": ALL
    - {P.TERMS, P.SAMPLE, P.AUDITORS, P.MODERATION, P.MEETING, P.FEEDBACK, P.DEEP_DIVE},
    "programme_review": ALL
    - {P.TERMS, P.SAMPLE, P.AUDITORS, P.MODERATION, P.MEETING, P.FEEDBACK, P.DEEP_DIVE},
    "single_agency_exception": ALL
    - {P.TERMS, P.SAMPLE, P.AUDITORS, P.MODERATION, P.MEETING, P.FEEDBACK, P.DEEP_DIVE},
}
# Where a part may stand while the audit is before its states, in them, and past them.
BEFORE = {S.CANNOT_START}
IN = {S.NOT_STARTED, S.IN_PROGRESS}
PAST = {S.COMPLETED}


def statuses(
    audit_type: str, entered: Sequence[str], begun: frozenset[Part] = frozenset()
) -> dict[Part, TaskStatus]:
    compiled = CATALOGUE.current(audit_type)
    found = task_list(compiled.definition, compiled.stages, entered=entered, begun=begun)
    assert [task.part for task in found] == list(Part), "every part, in the cycle's order"
    return {task.part: task.status for task in found}


def own_path(audit_type: str) -> list[str]:
    definition = CATALOGUE.current(audit_type).definition
    start = definition.initial_state
    return [start, *(step.dest for step in main_path(definition, start, "closed"))]


def test_every_shipped_type_is_described() -> None:
    assert set(PARTS) == set(CATALOGUE.audit_types)


@pytest.mark.parametrize("audit_type", sorted(PARTS))
def test_each_type_has_its_parts(audit_type: str) -> None:
    at_start = statuses(audit_type, own_path(audit_type)[:1])
    needed = {part for part, status in at_start.items() if status is not S.NOT_NEEDED}
    assert needed == PARTS[audit_type]


@pytest.mark.parametrize("audit_type", sorted(PARTS))
def test_along_its_own_path_each_part_waits_is_worked_on_then_is_done(audit_type: str) -> None:
    """At every state of the type's own path, each part it has is before, in or past its
    states, never back again (closing aside: an exception may also be closed at triage);
    and once closed every part is completed."""
    path = own_path(audit_type)
    seen: dict[Part, list[TaskStatus]] = {part: [] for part in PARTS[audit_type]}
    for i in range(1, len(path) + 1):
        found = statuses(audit_type, path[:i])
        for part, went in seen.items():
            went.append(found[part])
    for part, went in seen.items():
        phases = [0 if s in BEFORE else 1 if s in IN else 2 for s in went]
        # A part the type offers without waiting for it, with nothing recorded, is passed by.
        done = S.PASSED_BY if part in OPTIONAL else S.COMPLETED
        assert set(went) <= BEFORE | IN | {done}, (part, went)
        assert went[-1] is done, f"{audit_type} {part} once closed: {went[-1]}"
        if part is P.CLOSE:
            assert went[-2] is S.NOT_STARTED, "closing is the last step before closed"
            continue
        assert phases == sorted(phases), f"{audit_type} {part}: {went}"
        assert 1 in phases, f"{audit_type} {part} is worked on somewhere along the path"


def test_a_mace_part_by_part() -> None:
    path = own_path("mace")
    assert statuses("mace", path[:1])[P.TERMS] is S.NOT_STARTED
    assert statuses("mace", path[:1], frozenset({P.TERMS}))[P.TERMS] is S.IN_PROGRESS
    at_returns = statuses("mace", path[: path.index("returns_open") + 1])
    assert [at_returns[p] for p in (P.TERMS, P.SAMPLE, P.AUDITORS)] == [S.COMPLETED] * 3
    assert at_returns[P.RETURNS] is S.IN_PROGRESS, "opened for the agencies: under way"
    assert at_returns[P.MODERATION] is S.CANNOT_START
    assert at_returns[P.CLOSE] is S.CANNOT_START
    closing = statuses("mace", path[: path.index("impact_monitoring") + 1])
    assert closing[P.SHARING] is S.COMPLETED and closing[P.CLOSE] is S.NOT_STARTED
    assert closing[P.ACTIONS] is S.NOT_STARTED
    assert statuses("mace", path[:-1], frozenset({P.ACTIONS}))[P.ACTIONS] is S.IN_PROGRESS


@pytest.mark.parametrize("audit_type", ["mace", "dip_sample"])
def test_the_discussion_is_offered_while_moderating_and_done_once_arranged(audit_type: str) -> None:
    path = own_path(audit_type)
    moderating = path[: path.index("moderation") + 1]
    assert statuses(audit_type, moderating)[P.MEETING] is S.NOT_STARTED
    assert statuses(audit_type, moderating, frozenset({P.MEETING}))[P.MEETING] is S.IN_PROGRESS
    past = path[: path.index("moderation") + 2]
    assert statuses(audit_type, past)[P.MEETING] is S.PASSED_BY, "not needed: none was held"
    assert statuses(audit_type, past, frozenset({P.MEETING}))[P.MEETING] is S.COMPLETED


def test_work_begun_ahead_of_its_stage_is_in_progress() -> None:
    """A sample drawn while the terms are still being agreed is under way already."""
    found = statuses("mace", ["planning"], frozenset({P.SAMPLE}))
    assert found[P.SAMPLE] is S.IN_PROGRESS and found[P.AUDITORS] is S.CANNOT_START


def test_a_refused_report_is_written_again_and_sign_off_waits_for_it() -> None:
    path = own_path("mace")
    to_sign_off = path[: path.index("awaiting_sign_off") + 1]
    refused = [*to_sign_off, "further_assurance_requested"]
    found = statuses("mace", refused, frozenset({P.REPORT}))
    assert found[P.REPORT] is S.IN_PROGRESS and found[P.SIGN_OFF] is S.IN_PROGRESS
    assert found[P.MODERATION] is S.COMPLETED and found[P.ACTIONS] is S.CANNOT_START
    again = statuses("mace", [*refused, "awaiting_sign_off"], frozenset({P.REPORT}))
    assert again[P.REPORT] is S.COMPLETED and again[P.SIGN_OFF] is S.IN_PROGRESS


def test_a_deep_dive_sent_back_for_more_evidence_collects_again() -> None:
    path = own_path("deep_dive")
    refused = [*path[: path.index("awaiting_sign_off") + 1], "further_assurance_requested"]
    found = statuses("deep_dive", [*refused, "returns_open"], frozenset({P.REPORT}))
    assert found[P.RETURNS] is S.IN_PROGRESS
    assert found[P.MODERATION] is S.CANNOT_START
    assert found[P.REPORT] is S.IN_PROGRESS, "its words are kept for the next version"
    assert found[P.SIGN_OFF] is S.CANNOT_START


def test_training_waits_between_rounds_with_its_returns_under_way() -> None:
    path = own_path("training_impact")
    found = statuses("training_impact", path[: path.index("training_delivery") + 1])
    assert found[P.RETURNS] is S.IN_PROGRESS and found[P.MODERATION] is S.CANNOT_START


def test_an_exception_closed_at_triage_passes_by_what_it_did_not_need() -> None:
    found = statuses("single_agency_exception", ["exception_drafting", "triage", "closed"])
    assert found[P.RETURNS] is S.COMPLETED and found[P.CLOSE] is S.COMPLETED
    for part in (P.REPORT, P.SIGN_OFF, P.SHARING, P.ACTIONS):
        assert found[part] is S.PASSED_BY, part
    assert found[P.TERMS] is S.NOT_NEEDED
    at_triage = statuses("single_agency_exception", ["exception_drafting", "triage"])
    assert at_triage[P.CLOSE] is S.NOT_STARTED, "it may be closed at triage"
    assert at_triage[P.REPORT] is S.CANNOT_START


def test_a_withdrawn_audit_keeps_what_was_done_and_stops_the_rest() -> None:
    path = own_path("mace")
    withdrawn = [*path[: path.index("returns_open") + 1], "withdrawn"]
    found = statuses("mace", withdrawn, frozenset({P.REPORT}))
    assert [found[p] for p in (P.TERMS, P.SAMPLE, P.AUDITORS)] == [S.COMPLETED] * 3
    for part in (P.RETURNS, P.MODERATION, P.REPORT, P.SIGN_OFF, P.CLOSE):
        assert found[part] is S.STOPPED, part


def test_each_status_reads_as_the_task_list_pattern_says() -> None:
    assert [s.label for s in TaskStatus][:5] == [
        "Completed",
        "In progress",
        "Not started",
        "Cannot start yet",
        "Not needed for this type",
    ]
    assert [p.heading for p in Part][-4:] == ["Sign-off", "Sharing", "Actions", "Close"]
