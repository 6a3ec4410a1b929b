"""A thematic multi-agency case file audit (MACE), from planning to closed, as its people do
it: the coordinator and the chair at the command line, the auditors declaring for their
cases, the agencies' leads, a strategic lead, learning hub members and statutory partners by
the links they are e-mailed. Sign-off is refused once and given on the second round."""

from __future__ import annotations

from tests.oscp_flow.journeys.steps import (
    SIGN_OFF_REQUESTED,
    add_action,
    assign_auditors,
    cases_file,
    close,
    each,
    evidence_by_link,
    moderate,
    returns_by_link,
    share_and_monitor,
    sign_off,
    terms,
    write_report,
)
from tests.support.journey import Partnership, at
from tests.support.northdale import CHAIR
from tests.support.smtp import text_of

AGENCIES = ("a01", "a02", "a03")
CASES = {"NDA-2026-0101": "a01;a02", "NDA-2026-0102": "a02;a03"}
AUDITORS = {"NDA-2026-0101": at("auditor1"), "NDA-2026-0102": at("auditor2")}


def test_a_mace_from_planning_to_closed(northdale: Partnership) -> None:
    mace = northdale.start(
        "programme", "start", "sexual-abuse-mace", "--lead", CHAIR, *each("--agency", *AGENCIES)
    )
    assert northdale.state(mace) == "planning"

    # The chair records the terms of reference before agreeing them.
    early = northdale.oscp("audit", "fire", mace, "agree_terms_of_reference", as_=CHAIR, code=1)
    assert "terms_recorded" in early
    northdale.oscp("audit", "terms", mace, *terms(), as_=CHAIR)
    northdale.fire(mace, "agree_terms_of_reference", as_=CHAIR)
    assert northdale.state(mace) == "terms_of_reference_agreed"

    # The sample comes as a CSV of pseudonymous references; each case gets an independent
    # auditor, who declares no involvement in it.
    sampled = cases_file(northdale, f"{mace}-cases.csv", CASES)
    assert "Sampled 2 case(s)" in northdale.oscp("audit", "sample", mace, sampled, as_=CHAIR)
    northdale.fire(mace, "select_sample", as_=CHAIR)
    assign_auditors(northdale, mace, AUDITORS)
    northdale.fire(mace, "confirm_auditors", "open_returns", as_=CHAIR)
    assert northdale.state(mace) == "returns_open"

    # An auditor raises an immediate-risk concern; the agency's strategic lead gives its
    # assurance through the link in their e-mail.
    northdale.oscp(
        "audit",
        "concern",
        mace,
        "--agency",
        "a01",
        "--concern",
        "A strategy discussion was not held within the expected time.",
        as_=AUDITORS["NDA-2026-0101"],
    )
    northdale.send_mail()
    assurance = northdale.link(at("lsp.a01"), audit=mace, subject="Immediate-risk concern")
    given = northdale.web.submit(assurance)
    assert given.status_code == 200, given.text

    # Each agency named in a case completes its case audits by link.
    returns_by_link(northdale, mace, *(f"lead.{code}" for code in AGENCIES))
    northdale.fire(mace, "close_returns", as_=CHAIR)
    assert northdale.state(mace) == "moderation"
    moderate(northdale, mace)
    northdale.fire(mace, "complete_moderation", as_=CHAIR)
    assert northdale.state(mace) == "report_drafting"
    write_report(northdale, mace)
    assert northdale.state(mace) == "awaiting_sign_off"

    # A statutory partner refuses by link and says what assurance they need; the chair
    # answers and resubmits, and the report is frozen again.
    northdale.send_mail()
    refusing = northdale.link(at("lsp.a02"), audit=mace, subject=SIGN_OFF_REQUESTED)
    comment = "Say how the recommendations will be resourced."
    refused = northdale.web.submit(refusing, answers={"decision": "refuse", "comment": comment})
    assert refused.status_code == 200, refused.text
    assert northdale.state(mace) == "further_assurance_requested"
    northdale.oscp(
        "report",
        "draft",
        mace,
        "--section",
        "recommendations",
        "--text",
        "Each recommendation now names the agency that resources it.",
        as_=CHAIR,
    )
    northdale.oscp(
        "audit",
        "fire",
        mace,
        "resubmit_for_sign_off",
        "--reason",
        "Resourcing added to each recommendation",
        as_=CHAIR,
    )
    frozen = northdale.oscp("report", "freeze", mace, as_=CHAIR)  # resubmitting froze it
    assert "Version 2" in frozen and "already frozen" in frozen
    sign_off(northdale, mace, "hub1", "lsp.a01", "lsp.a02")
    assert northdale.state(mace) == "actions_agreed"

    # Actions, dissemination and impact.
    action = add_action(northdale, mace, owner="a02")
    northdale.fire(mace, "start_dissemination", as_=CHAIR)
    folder = str(northdale.folder / mace)
    products = northdale.oscp("report", "products", mace, "--out", folder, as_=CHAIR)
    assert "briefing" in products and "learning-on-a-page" in products
    share_and_monitor(northdale, mace)
    evidence_by_link(northdale, mace, action, lead="lead.a02", accepted_by=at("hub1"))
    close(northdale, mace)

    # No e-mail about the audit names a case.
    for message in northdale.recorder.received:
        if mace in str(message["Subject"]):
            assert not any(case in text_of(message) for case in CASES)
