"""An audit's task list read from the store, on both stores: where each part stands as a
MACE and a Section 175 move on, and work recorded ahead of its stage."""

from __future__ import annotations

from states.rules.tasks import Part, TaskStatus
from states.services import tasks, terms
from states.services.deps import Deps
from tests.support.driver import Driver, drive
from tests.support.partnership import email

S = TaskStatus


def statuses(deps: Deps, reference: str) -> dict[Part, TaskStatus]:
    return {task.part: task.status for task in tasks.tasks_of(deps, audit=reference)}


def test_a_mace_from_planning_to_its_case_audits(partnership: Deps) -> None:
    deps = partnership
    driver = Driver.start(deps, "mace")
    found = statuses(deps, driver.reference)
    assert found[Part.TERMS] is S.NOT_STARTED and found[Part.SAMPLE] is S.CANNOT_START
    driver.record_terms()
    assert statuses(deps, driver.reference)[Part.TERMS] is S.IN_PROGRESS
    driver.advance("returns_open")
    found = statuses(deps, driver.reference)
    assert [found[p] for p in (Part.TERMS, Part.SAMPLE, Part.AUDITORS)] == [S.COMPLETED] * 3
    assert found[Part.RETURNS] is S.IN_PROGRESS
    assert found[Part.REPORT] is S.CANNOT_START and found[Part.CLOSE] is S.CANNOT_START


def test_a_section_175_in_its_deep_dive(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "section_175", "deep_dive").reference
    found = statuses(deps, reference)
    assert found[Part.TERMS] is S.NOT_NEEDED and found[Part.SAMPLE] is S.NOT_NEEDED
    assert found[Part.RETURNS] is S.COMPLETED and found[Part.MODERATION] is S.IN_PROGRESS
    assert found[Part.SIGN_OFF] is S.CANNOT_START


def test_a_sample_drawn_early_and_a_report_begun_show_as_under_way(partnership: Deps) -> None:
    deps = partnership
    driver = Driver.start(deps, "mace")
    driver.sample_cases()
    terms.record_terms(
        deps,
        audit=driver.reference,
        actor=email("chair"),
        scope="Cases open to two or more agencies",
        time_window="The 12 months before the audit started",
        methodology="Case file audit",
        sample_rationale="Cases known to every agency",
        timetable="Twenty working days",
    )
    found = statuses(deps, driver.reference)
    assert found[Part.TERMS] is S.IN_PROGRESS and found[Part.SAMPLE] is S.IN_PROGRESS
    assert found[Part.AUDITORS] is S.CANNOT_START
