"""Returns: drafts, submission checks, locking, reopening, rounds and who may see what."""

from __future__ import annotations

from datetime import timedelta

import pytest

from states.clock import FakeClock
from states.definitions.tool import ToolDefinition
from states.errors import (
    GateBlocked,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ReturnIncomplete,
    ReturnLocked,
    ReturnsClosed,
)
from states.services import attendees, audits, findings, queries, returns, work
from states.services.deps import Deps
from tests.support.driver import complete_answers, drive
from tests.support.partnership import agency_name, email

POLICE = email("lead.police")


def _open(deps: Deps, clock: FakeClock, audit_type: str, goal: str = "returns_open") -> str:
    return drive(deps, audit_type, to=goal, theme="Returns").reference


def _tool(deps: Deps, audit_type: str) -> ToolDefinition:
    tool = deps.catalogue.tool(audit_type)
    assert tool is not None
    return tool


def test_a_draft_is_saved_resumed_and_submitted(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    reference = _open(deps, clock, "section_11")
    first = returns.save_draft(
        deps, audit=reference, actor=POLICE, agency="police", answers={"leadership_rating": "Amber"}
    )
    assert first.status == "draft" and first.answers == {"leadership_rating": "amber"}
    clock.advance(timedelta(days=2))
    again = returns.read(deps, audit=reference, actor=POLICE, agency="police")
    assert again.answers == {"leadership_rating": "amber"}

    with pytest.raises(ReturnIncomplete) as incomplete:
        returns.submit(deps, audit=reference, actor=POLICE, agency="police")
    missing = {p.question_id for p in incomplete.value.problems}
    assert "leadership_evidence" in missing and "leadership_rating" not in missing
    assert "needs an answer before the return can be submitted" in str(incomplete.value)

    done = returns.submit(
        deps,
        audit=reference,
        actor=POLICE,
        agency="police",
        answers=complete_answers(_tool(deps, "section_11")),
    )
    assert done.status == "submitted"
    with pytest.raises(ReturnLocked, match="ask the coordinator to reopen it"):
        returns.save_draft(
            deps,
            audit=reference,
            actor=POLICE,
            agency="police",
            answers={"leadership_rating": "red"},
        )


def test_wrong_answers_are_listed_per_question_and_nothing_is_stored(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = _open(deps, clock, "section_11")
    version = queries.audit_status(deps, audit=reference, as_person=POLICE).version
    with pytest.raises(ReturnIncomplete) as refused:
        returns.save_draft(
            deps,
            audit=reference,
            actor=POLICE,
            agency="police",
            answers={
                "leadership_rating": "purple",
                "leadership_evidence": "Policy v3",
                "no_such_question": "x",
            },
        )
    problems = {p.question_id: p.message for p in refused.value.problems}
    assert problems == {
        "leadership_rating": "'purple' is not on the scale; choose one of Green - met and "
        "embedded, Amber - in place, partly evidenced, Red - not met",
        "no_such_question": "is not a question in this tool",
    }
    assert returns.read(deps, audit=reference, actor=POLICE, agency="police").answers == {}
    assert queries.audit_status(deps, audit=reference, as_person=POLICE).version == version


def test_an_agency_reaches_only_its_own_return(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    reference = _open(deps, clock, "section_11")
    returns.save_draft(
        deps,
        audit=reference,
        actor=email("lead.csc"),
        agency="csc",
        answers={"leadership_rating": "green"},
    )
    with pytest.raises(NotFound):
        returns.read(deps, audit=reference, actor=POLICE, agency="csc")
    with pytest.raises(NotFound):
        returns.save_draft(deps, audit=reference, actor=POLICE, agency="csc", answers={})
    with pytest.raises(NotFound):  # an agency not taking part has no return to find
        returns.read(deps, audit=reference, actor=email("lead.schools"), agency="schools")
    coordinator_view = returns.read(deps, audit=reference, actor=email("coordinator"), agency="csc")
    assert coordinator_view.answers == {"leadership_rating": "green"}


def test_returns_are_refused_outside_the_returns_round(partnership: Deps) -> None:
    deps = partnership
    reference = audits.start_audit(
        deps,
        audit_type="section_11",
        theme="Early",
        lead=email("chair"),
        actor=email("coordinator"),
        agencies=["police"],
    ).reference
    with pytest.raises(ReturnsClosed, match="where returns are not open"):
        returns.save_draft(deps, audit=reference, actor=POLICE, agency="police", answers={})


def test_reopening_is_the_coordinators_and_sends_findings_back(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = _open(deps, clock, "section_11")
    answers = complete_answers(_tool(deps, "section_11"))
    returns.submit(deps, audit=reference, actor=POLICE, agency="police", answers=answers)
    before = findings.list_findings(deps, audit=reference)
    assert before and all(f.agency == "police" for f in before)
    with pytest.raises(PermissionDenied, match="only the coordinator may reopen return"):
        returns.reopen(deps, audit=reference, actor=POLICE, agency="police", reason="typo")
    reopened = returns.reopen(
        deps,
        audit=reference,
        actor=email("coordinator"),
        agency="police",
        reason="Evidence references were for last year",
    )
    assert reopened.status == "draft" and reopened.answers  # answers kept, lock lifted
    assert findings.list_findings(deps, audit=reference) == []
    last = queries.history(deps, audit=reference)[-1]
    assert (last.trigger, last.reason) == (
        "reopen_return",
        "Evidence references were for last year",
    )
    returns.submit(deps, audit=reference, actor=POLICE, agency="police")
    assert len(findings.list_findings(deps, audit=reference)) == len(before)


def test_case_audits_are_one_per_case_per_involved_agency(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = _open(deps, clock, "mace")
    tool = _tool(deps, "mace")
    cases = [f"{reference}-C01", f"{reference}-C02", f"{reference}-C03"]
    with pytest.raises(InvalidInput, match="made for each sampled case"):
        returns.save_draft(deps, audit=reference, actor=POLICE, agency="police", answers={})
    with pytest.raises(NotFound):
        returns.save_draft(
            deps,
            audit=reference,
            actor=POLICE,
            agency="police",
            case="CASE-NOT-SAMPLED",
            answers={},
        )
    returns.submit(
        deps,
        audit=reference,
        actor=POLICE,
        agency="police",
        case=cases[0],
        answers=complete_answers(tool),
    )
    # The auditor assigned to a case may complete its case audit for an agency.
    returns.submit(
        deps,
        audit=reference,
        actor=email("auditor.two"),
        agency="csc",
        case=cases[0],
        answers=complete_answers(tool),
    )
    with pytest.raises(NotFound):  # ...but not one for a case they are not assigned to
        returns.read(deps, audit=reference, actor=email("auditor.two"), agency="csc", case=cases[1])
    with pytest.raises(GateBlocked) as blocked:
        audits.fire(deps, audit=reference, trigger="close_returns", actor=email("coordinator"))
    assert (
        f"still waiting for returns from {agency_name('csc')} (2 cases), "
        f"{agency_name('community_health')} (3 cases), {agency_name('police')} (2 cases)"
    ) in str(blocked.value)


def test_each_training_round_asks_only_its_phase(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    reference = _open(deps, clock, "training_impact", goal="pre_course_returns_open")
    tool = _tool(deps, "training_impact")
    (attendee,) = attendees.register_attendees(
        deps,
        audit=reference,
        actor=email("coordinator"),
        new=attendees.attendees(agency="police", course="Neglect", cohort="2026-09", count=1),
    )
    before = complete_answers(tool, phase="before")
    follow_up_only = next(q for s, q in tool.questions() if s.phase == "follow_up")
    with pytest.raises(ReturnIncomplete, match="belongs to another phase of this tool"):
        returns.save_draft(
            deps,
            audit=reference,
            actor=POLICE,
            agency="police",
            case=attendee,
            answers={follow_up_only.id: before[next(iter(before))]},
        )
    with pytest.raises(InvalidInput, match="made for each registered attendee"):
        returns.submit(deps, audit=reference, actor=POLICE, agency="police", answers=before)
    done = returns.submit(
        deps, audit=reference, actor=POLICE, agency="police", case=attendee, answers=before
    )
    assert done.status == "submitted" and set(done.answers) == set(before)


def test_a_new_round_of_returns_needs_new_returns(partnership: Deps, clock: FakeClock) -> None:
    """Deep dive: asking for further evidence reopens returns, and last round's don't count."""
    deps = partnership
    reference = _open(deps, clock, "deep_dive", goal="further_assurance_requested")
    definition = deps.catalogue.current("deep_dive").definition
    loop = next(t for t in definition.transitions if t.trigger == "request_further_evidence")
    assert loop.dest == "returns_open"
    audits.fire(
        deps,
        audit=reference,
        trigger="request_further_evidence",
        actor=email("chair"),
        reason="Waiting-time data by ethnicity is missing",
    )
    with pytest.raises(GateBlocked, match="still waiting for returns from"):
        audits.fire(deps, audit=reference, trigger="close_returns", actor=email("coordinator"))
    work.invite_agencies(deps, audit=reference, actor=email("coordinator"), agencies=["police"])
    assert (
        returns.read(deps, audit=reference, actor=POLICE, agency="police").status == "not started"
    )
    tool = _tool(deps, "deep_dive")
    for agency, lead in (
        ("police", POLICE),
        ("csc", email("lead.csc")),
        ("community_health", email("lead.health")),
    ):
        returns.submit(
            deps, audit=reference, actor=lead, agency=agency, answers=complete_answers(tool)
        )
    fired = audits.fire(deps, audit=reference, trigger="close_returns", actor=email("coordinator"))
    assert fired.to_state == "analysis"
