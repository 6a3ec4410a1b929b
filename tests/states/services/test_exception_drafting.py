"""The agency writes its own exception report and its response (issue 15, gaps 1 and 2), on
both stores.

The report is the agency's return on the exception tool: raising it e-mails the agency's lead
a link to it at once, the learning hub gets it only once it is submitted, and returned for more
detail it goes back to the agency as a draft to revise. When the learning hub asks for the
agency's assurance, the agency's own leads write the response that goes for sign-off (the
report's narrative) and freeze it as submitted; on other types, and for other agencies, that
stays the chair's and the coordinator's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from states.clock import FakeClock
from states.errors import GateBlocked, PermissionDenied
from states.persistence import tables as t
from states.persistence.vocabulary import LinkPurpose
from states.services import audits, minting, report_store, reports, returns
from states.services.deps import Deps
from states.services.sweep import sweep
from tests.support.driver import complete_answers, drive
from tests.support.partnership import email

EXCEPTION = "single_agency_exception"
LEAD = email("lead.police")
STRATEGIC_LEAD = email("lsp.police")
CHAIR = email("chair")


def _raised(deps: Deps) -> str:
    return audits.start_audit(
        deps, audit_type=EXCEPTION, theme="Missed strategy discussions", lead=CHAIR, actor=LEAD
    ).reference


def _sent(deps: Deps, reference: str, kind: str) -> list[tuple[str, int, str | None]]:
    """(recipient, round, link purpose) of each ``kind`` message about the audit."""
    o = t.outbox
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.person.c.email, o.c.subject_id, o.c.link_purpose)
            .join(t.person, t.person.c.id == o.c.recipient_id)
            .join(t.audit, t.audit.c.id == o.c.audit_id)
            .where(t.audit.c.reference == reference, o.c.kind == kind)
            .order_by(o.c.id)
        ).all()
    return [(str(e), int(n), p) for e, n, p in rows]


def _answers(deps: Deps) -> dict[str, object]:
    tool = deps.catalogue.tool(EXCEPTION)
    assert tool is not None
    return complete_answers(tool)


def _findings(deps: Deps, reference: str) -> int:
    with deps.uow(readonly=True) as uow:
        return int(
            uow.connection.execute(
                select(func.count())
                .select_from(t.finding)
                .join(t.audit, t.audit.c.id == t.finding.c.audit_id)
                .where(t.audit.c.reference == reference)
            ).scalar_one()
        )


def _audit_id(deps: Deps, reference: str) -> int:
    with deps.uow(readonly=True) as uow:
        return int(
            uow.connection.execute(
                select(t.audit.c.id).where(t.audit.c.reference == reference)
            ).scalar_one()
        )


def test_raising_one_asks_its_lead_for_the_report_by_link_at_once(partnership: Deps) -> None:
    deps = partnership
    reference = _raised(deps)
    assert _sent(deps, reference, "return_requested") == [(LEAD, 1, LinkPurpose.RETURN)]
    # The lead's link is made as the e-mail is sent, and opens the report.
    with deps.uow(readonly=True) as uow:
        lead_id = uow.connection.execute(
            select(t.person.c.id).where(t.person.c.email == LEAD)
        ).scalar_one()
    minted = minting.mint_link(
        deps, purpose=LinkPurpose.RETURN, audit_id=_audit_id(deps, reference), person_id=lead_id
    )
    assert minted.token is not None, minted.why_not

    # Nothing written, nothing goes to the learning hub.
    with pytest.raises(GateBlocked, match="still waiting for returns from Northvale Police"):
        audits.fire(deps, audit=reference, trigger="submit_exception", actor=LEAD)
    returns.save_draft(deps, audit=reference, actor=LEAD, agency="police", answers={})
    with pytest.raises(GateBlocked, match="all_returns_in"):
        audits.fire(deps, audit=reference, trigger="submit_exception", actor=LEAD)
    returns.submit(deps, audit=reference, actor=LEAD, agency="police", answers=_answers(deps))
    assert audits.fire(deps, audit=reference, trigger="submit_exception", actor=LEAD).to_state == (
        "triage"
    )


def test_returned_for_more_detail_the_agency_revises_and_resubmits_its_report(
    partnership: Deps,
) -> None:
    deps = partnership
    reference = _raised(deps)
    answers = _answers(deps)
    returns.submit(deps, audit=reference, actor=LEAD, agency="police", answers=answers)
    audits.fire(deps, audit=reference, trigger="submit_exception", actor=LEAD)
    made = _findings(deps, reference)
    assert made > 0
    back = audits.fire(
        deps,
        audit=reference,
        trigger="return_to_agency",
        actor=CHAIR,
        reason="Say how many children and since when",
    )
    assert back.to_state == "exception_drafting"

    # The report is the agency's again, as it was submitted, for this round; asked for again.
    mine = returns.read(deps, audit=reference, actor=LEAD, agency="police")
    assert (mine.status, mine.round) == ("draft", back.version)
    assert mine.answers == {k: str(v) for k, v in answers.items()}
    assert _findings(deps, reference) == 0  # made again when it is submitted
    assert _sent(deps, reference, "return_requested")[-1] == (
        LEAD,
        back.version,
        LinkPurpose.RETURN,
    )
    with pytest.raises(GateBlocked, match="still waiting for returns"):
        audits.fire(deps, audit=reference, trigger="submit_exception", actor=LEAD)

    revised = returns.submit(
        deps, audit=reference, actor=LEAD, agency="police", answers={"children_affected": 7}
    )
    assert revised.status == "submitted" and revised.answers["children_affected"] == "7"
    assert _findings(deps, reference) == made  # once, not twice
    assert audits.fire(deps, audit=reference, trigger="submit_exception", actor=LEAD).to_state == (
        "triage"
    )


def test_further_evidence_elsewhere_still_starts_a_new_round_empty(partnership: Deps) -> None:
    """Only a transition that says so reopens returns: a deep dive's request for further
    evidence asks for new returns."""
    deps = partnership
    driver = drive(deps, "deep_dive", "further_assurance_requested")
    driver.fire("request_further_evidence")
    assert returns.read(deps, audit=driver.reference, actor=LEAD, agency="police").status == (
        "not started"
    )


def _asked_for_assurance(deps: Deps) -> str:
    reference = _raised(deps)
    returns.submit(deps, audit=reference, actor=LEAD, agency="police", answers=_answers(deps))
    audits.fire(deps, audit=reference, trigger="submit_exception", actor=LEAD)
    audits.fire(deps, audit=reference, trigger="request_agency_assurance", actor=CHAIR)
    return reference


def _write(deps: Deps, reference: str, actor: str) -> None:
    for section in ("working_well", "emerging_concerns", "recommendations", "reflection"):
        reports.save_narrative(
            deps, audit=reference, actor=actor, section=section, text=f"Ours: {section}."
        )


def test_the_agencys_leads_write_its_response_and_it_goes_for_sign_off(
    partnership: Deps,
) -> None:
    deps = partnership
    reference = _asked_for_assurance(deps)
    # Asked for the response, with no link (none can take it), never for a return.
    asked = _sent(deps, reference, "response_requested")
    round_ = asked[0][1]
    assert sorted(asked) == sorted([(LEAD, round_, None), (STRATEGIC_LEAD, round_, None)])
    assert all(n != round_ for _, n, _ in _sent(deps, reference, "return_requested"))

    reports.save_narrative(
        deps, audit=reference, actor=LEAD, section="working_well", text="The lead's words."
    )
    _write(deps, reference, STRATEGIC_LEAD)
    fired = audits.fire(deps, audit=reference, trigger="submit_for_sign_off", actor=STRATEGIC_LEAD)
    assert fired.to_state == "awaiting_sign_off"
    # What goes for sign-off is the agency's own words, frozen as submitted.
    frozen = report_store.latest(deps, audit=reference)
    assert frozen is not None and frozen.version == 1
    assert frozen.narrative["working_well"] == "Ours: working_well."
    # Products are the organisers' to make, not the agency's.
    with pytest.raises(PermissionDenied, match="chair or coordinator"):
        reports.freeze_product(
            deps, audit=reference, actor=LEAD, kind="briefing", html="<p>x</p>", pdf=None
        )


@pytest.mark.parametrize("who", ["lead.csc", "lsp.council", "auditor.one"])
def test_nobody_else_outside_the_hub_writes_it(partnership: Deps, who: str) -> None:
    """Another agency's lead or strategic lead, or anyone else, is refused for lack of role."""
    deps = partnership
    reference = _asked_for_assurance(deps)
    with pytest.raises(PermissionDenied, match="raising agency lead"):
        _write(deps, reference, email(who))


def test_on_other_types_the_report_stays_the_chairs(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", "report_drafting").reference
    for agency_person in (LEAD, STRATEGIC_LEAD):
        with pytest.raises(PermissionDenied, match="only the chair or coordinator may"):
            _write(deps, reference, agency_person)
    _write(deps, reference, CHAIR)


def test_while_the_response_is_owed_reminders_carry_no_return_link(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = _asked_for_assurance(deps)
    clock.advance(timedelta(days=21))
    sweep(deps)
    reminded = _sent(deps, reference, "reminder") + _sent(deps, reference, "overdue")
    assert reminded and LEAD in {to for to, _, _ in reminded}
    assert all(purpose is None for _, _, purpose in reminded)


def test_raised_by_the_coordinator_for_an_agency_its_lead_is_asked_at_once(
    partnership: Deps,
) -> None:
    deps = partnership
    reference = audits.start_audit(
        deps,
        audit_type=EXCEPTION,
        theme="Raised for the agency",
        lead=CHAIR,
        actor=email("coordinator"),
        agencies=["csc"],
    ).reference
    assert _sent(deps, reference, "return_requested") == [
        (email("lead.csc"), 1, LinkPurpose.RETURN)
    ]
