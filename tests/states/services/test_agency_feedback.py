"""Section 11's feedback to each agency (issue 15, gap 3), on both stores: while the audit is
giving feedback the chair records one text per agency that returned its self-assessment, the
way on waits until every one has it, and once the summary is signed off each agency's leads
are sent their own feedback letter by link, as Section 175's sampled settings are."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from notifications.publishing import make_products
from states.errors import GateBlocked, InvalidInput, NotFound, PermissionDenied
from states.persistence import tables as t
from states.persistence.vocabulary import LinkPurpose
from states.services import audits, deep_dive, reports, work
from states.services.deps import Deps
from states.services.letters import send_feedback_letters
from tests.support.driver import RETURNING, Driver, drive
from tests.support.partnership import email

CHAIR = email("chair")
COORDINATOR = email("coordinator")
SECTIONS = ("working_well", "emerging_concerns", "recommendations", "reflection")


def _letters(deps: Deps, reference: str) -> set[str]:
    """The agencies a feedback letter was made for, by code."""
    with deps.uow(readonly=True) as uow:
        return set(
            uow.connection.execute(
                select(t.agency.c.code)
                .join(t.report, t.report.c.agency_id == t.agency.c.id)
                .join(t.audit, t.audit.c.id == t.report.c.audit_id)
                .where(t.audit.c.reference == reference, t.report.c.kind == "feedback_letter")
            ).scalars()
        )


def _feedback(deps: Deps, reference: str, agency: str, actor: str = CHAIR) -> bool:
    return deep_dive.record_feedback(
        deps,
        audit=reference,
        actor=actor,
        agency=agency,
        summary=f"{agency}: strong induction; evidence the supervision standard next year.",
    )


def _at_feedback(deps: Deps) -> Driver:
    driver = drive(deps, "section_11", "feedback_to_agencies")
    # An agency invited late that never returned is owed no feedback, and is not waited for.
    work.invite_agencies(deps, audit=driver.reference, actor=COORDINATOR, agencies=["schools"])
    return driver


def test_the_way_on_waits_for_every_agency_that_returned(partnership: Deps) -> None:
    deps = partnership
    reference = _at_feedback(deps).reference
    with pytest.raises(GateBlocked, match="individual feedback is still to be recorded") as held:
        audits.fire(deps, audit=reference, trigger="send_feedback", actor=CHAIR)
    assert "Northvale Police" in str(held.value) and "Northvale Schools" not in str(held.value)

    with pytest.raises(NotFound, match="returning agency 'schools'"):
        _feedback(deps, reference, "schools")
    with pytest.raises(PermissionDenied):
        _feedback(deps, reference, "police", actor=email("lead.police"))
    with pytest.raises(InvalidInput, match="Write the feedback"):
        deep_dive.record_feedback(deps, audit=reference, actor=CHAIR, agency="csc", summary=" ")

    agencies = list(RETURNING)
    assert not _feedback(deps, reference, agencies[0])
    assert _feedback(deps, reference, agencies[0], actor=COORDINATOR)  # replaced
    for agency in agencies[1:-1]:
        _feedback(deps, reference, agency)
    with pytest.raises(GateBlocked, match="Northvale Community Health"):
        audits.fire(deps, audit=reference, trigger="send_feedback", actor=CHAIR)
    _feedback(deps, reference, agencies[-1])
    fired = audits.fire(deps, audit=reference, trigger="send_feedback", actor=CHAIR)
    assert fired.to_state == "report_drafting"


def test_feedback_is_recorded_only_while_giving_it(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "section_11", "moderation").reference
    with pytest.raises(InvalidInput, match="not at its feedback to sampled settings"):
        _feedback(deps, reference, "police")


def test_each_agency_is_sent_its_own_letter_once_signed_off(partnership: Deps) -> None:
    deps = partnership
    driver = _at_feedback(deps)
    reference = driver.reference
    for agency in RETURNING:
        _feedback(deps, reference, agency)
    audits.fire(deps, audit=reference, trigger="send_feedback", actor=CHAIR)
    for section in SECTIONS:
        text = f"Across the agencies: {section}."
        reports.save_narrative(deps, audit=reference, actor=CHAIR, section=section, text=text)
    driver.advance("dissemination")

    made = make_products(deps, audit=reference, actor=COORDINATOR)
    assert sorted(r.kind for r in made) == sorted(
        ["briefing", "learning_on_a_page"] + ["feedback_letter"] * len(RETURNING)
    )
    assert _letters(deps, reference) == set(RETURNING)
    police = next(r for r in made if r.agency == "police")
    assert police.html is not None
    assert "police: strong induction" in police.html
    assert "Northvale Police" in police.html and "the other agencies" in police.html
    assert "csc: strong induction" not in police.html  # nobody else's feedback

    sent = send_feedback_letters(deps, audit=reference, actor=COORDINATOR)
    assert (sent.letters, sent.summary_to) == (len(RETURNING), 0)
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.person.c.email, t.outbox.c.link_purpose, t.outbox.c.context)
            .join(t.person, t.person.c.id == t.outbox.c.recipient_id)
            .where(t.outbox.c.kind == "feedback_letter_ready")
        ).all()
    to = {address for address, _, _ in rows}
    assert {email("lead.police"), email("lsp.police"), email("lead.csc")} <= to
    assert all(purpose == LinkPurpose.LETTER for _, purpose, _ in rows)
    assert all("strong induction" not in context for _, _, context in rows)
    assert {json.loads(c)["agency"] for _, _, c in rows} >= {"Northvale Police"}
