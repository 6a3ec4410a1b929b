"""The database side: append-only history, migrations matching the models, and the rules
enforced where the data is written."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from states.clock import LONDON
from states.errors import AuditorConflicted, GateBlocked, InvalidInput, PermissionDenied
from states.services import audits, findings, queries, returns, work
from states.services import partnership as people
from states.services.deps import Deps
from tests.support.driver import Driver, complete_answers
from tests.support.partnership import email, person_name
from tests.support.terms import record_terms


def _mace(deps: Deps) -> str:
    return audits.start_audit(
        deps,
        audit_type="mace",
        theme="Sexual abuse",
        lead=email("chair"),
        actor=email("coordinator"),
        agencies=["police", "csc"],
    ).reference


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET reason = 'rewritten'",
        "DELETE FROM audit_event",
    ],
)
def test_event_log_is_append_only(partnership: Deps, engine: Engine, statement: str) -> None:
    _mace(partnership)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == 1


def test_conflicted_auditor_cannot_be_assigned(partnership: Deps) -> None:
    deps = partnership
    reference = _mace(deps)
    work.add_case(
        deps,
        audit=reference,
        actor=email("coordinator"),
        reference="CASE-7Q2",
        last_intervention_on=date(2026, 1, 10),
    )
    people.declare_conflict(
        deps, person=email("auditor.one"), case_reference="CASE-7Q2", involvement="practice"
    )
    with pytest.raises(
        AuditorConflicted,
        match=f"{person_name('auditor.one')} declared involvement in case CASE-7Q2",
    ):
        work.assign_auditor(
            deps,
            audit=reference,
            actor=email("coordinator"),
            case="CASE-7Q2",
            auditor=email("auditor.one"),
        )
    work.assign_auditor(
        deps,
        audit=reference,
        actor=email("coordinator"),
        case="CASE-7Q2",
        auditor=email("auditor.two"),
    )
    with pytest.raises(InvalidInput, match="not one of the partnership's auditors"):
        work.assign_auditor(
            deps,
            audit=reference,
            actor=email("coordinator"),
            case="CASE-7Q2",
            auditor=email("lead.police"),
        )


def test_a_conflict_declared_after_assignment_blocks_the_gate(partnership: Deps) -> None:
    deps = partnership
    reference = _mace(deps)
    record_terms(deps, reference)
    audits.fire(deps, audit=reference, trigger="agree_terms_of_reference", actor=email("chair"))
    work.add_case(
        deps,
        audit=reference,
        actor=email("chair"),
        reference="CASE-1",
        last_intervention_on=date(2026, 2, 1),
    )
    audits.fire(deps, audit=reference, trigger="select_sample", actor=email("chair"))
    work.assign_auditor(
        deps, audit=reference, actor=email("chair"), case="CASE-1", auditor=email("auditor.one")
    )
    people.declare_conflict(
        deps, person=email("auditor.one"), case_reference="CASE-1", involvement="management"
    )
    status = queries.audit_status(deps, audit=reference, as_person=email("chair"))
    blocked = {s.trigger: s.blocked_by for s in status.next_steps}["confirm_auditors"]
    assert [f.reason for f in blocked] == [
        f"auditors declared involvement: {person_name('auditor.one')} on CASE-1"
    ]


def test_the_author_cannot_sign_off_their_own_report(partnership: Deps) -> None:
    deps = partnership
    reference = _mace(deps)
    with pytest.raises(InvalidInput, match="author cannot sign off"):
        work.record_sign_off_decision(
            deps, audit=reference, actor=email("chair"), decision="approve"
        )
    with pytest.raises(InvalidInput, match="Say what further assurance"):
        work.record_sign_off_decision(deps, audit=reference, actor=email("lhm"), decision="refuse")


def test_immediate_risk_is_tracked_until_assured(partnership: Deps) -> None:
    deps = partnership
    reference = _mace(deps)
    escalation = work.raise_immediate_risk(
        deps,
        audit=reference,
        actor=email("chair"),
        agency="police",
        concern="Unsafe practice in one case",
    )
    assert queries.audit_status(deps, audit=reference, as_person=email("chair")).state == "planning"
    work.record_assurance(
        deps,
        audit=reference,
        actor=email("chair"),
        escalation_id=escalation,
        assurance="Strategic lead confirmed a review within 24 hours",
    )
    with pytest.raises(GateBlocked, match="no immediate-risk concern is awaiting assurance"):
        work.record_assurance(
            deps, audit=reference, actor=email("chair"), escalation_id=escalation, assurance="again"
        )
    triggers = [e.trigger for e in queries.history(deps, audit=reference)]
    assert triggers == ["start", "raise_immediate_risk", "record_assurance"]


def test_closed_audits_take_no_more_records(partnership: Deps) -> None:
    deps = partnership
    reference = _mace(deps)
    audits.fire(
        deps,
        audit=reference,
        trigger="withdraw",
        actor=email("coordinator"),
        reason="Merged into the domestic abuse MACE",
    )
    with pytest.raises(InvalidInput, match="withdrawn; its records are closed"):
        findings.record_finding(
            deps, audit=reference, actor=email("chair"), kind="gap", summary="Late"
        )


def test_deadlines_open_and_close_with_their_state(partnership: Deps) -> None:
    deps = partnership
    reference = audits.start_audit(
        deps,
        audit_type="section_11",
        theme="Section 11 2026",
        lead=email("chair"),
        actor=email("coordinator"),
    ).reference
    definition = deps.catalogue.current("section_11").definition
    returns_state = next(s for s in definition.states if s.name == "returns_open")
    assert returns_state.deadline is not None
    for fired in Driver(deps, reference, started_on=date(2026, 3, 2)).advance("returns_open"):
        assert fired.to_state
    status = queries.audit_status(deps, audit=reference, as_person=email("coordinator"))
    due = [d for d in status.deadlines if d.name == returns_state.deadline.name]
    assert len(due) == 1 and due[0].met_at is None
    # 30 working days from Monday 2 March 2026 skip Good Friday and Easter Monday: Wednesday
    # 15 April, at 17:00 London time, which is 16:00 UTC in British Summer Time.
    assert returns_state.deadline.working_days == 30
    assert due[0].due_at == datetime(2026, 4, 15, 16, 0, tzinfo=UTC)
    assert due[0].due_at.astimezone(LONDON).hour == 17


def test_agency_leads_and_auditors_act_only_in_their_own_audits(partnership: Deps) -> None:
    deps = partnership
    theirs = _mace(deps)  # police and CSC take part
    other = audits.start_audit(
        deps,
        audit_type="single_agency_exception",
        theme="Exception",
        lead=email("chair"),
        actor=email("coordinator"),
        agencies=["schools"],
    ).reference
    with pytest.raises(GateBlocked, match="only agency_lead may do this"):
        audits.fire(deps, audit=other, trigger="submit_exception", actor=email("lead.police"))
    tool = deps.catalogue.tool("single_agency_exception")
    assert tool is not None
    returns.submit(
        deps,
        audit=other,
        actor=email("lead.schools"),
        agency="schools",
        answers=complete_answers(tool),
    )  # the exception report itself, which only then goes to the learning hub
    audits.fire(deps, audit=other, trigger="submit_exception", actor=email("lead.schools"))
    work.invite_agencies(
        deps, audit=theirs, actor=email("coordinator"), agencies=["police", "acute"]
    )
    with pytest.raises(
        PermissionDenied,
        match="only the auditor, chair or coordinator may record finding, and "
        + person_name("auditor.one"),
    ):
        findings.record_finding(
            deps, audit=theirs, actor=email("auditor.one"), kind="gap", summary="x"
        )


def test_a_duplicate_record_is_refused_in_plain_words(partnership: Deps) -> None:
    deps = partnership
    reference = _mace(deps)
    work.add_case(deps, audit=reference, actor=email("chair"), reference="CASE-9")
    with pytest.raises(InvalidInput, match="already recorded"):
        work.add_case(deps, audit=reference, actor=email("chair"), reference="CASE-9")
