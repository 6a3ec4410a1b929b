"""A data-led deep dive, from planning to closed: the chair agrees the lines of enquiry, the
agencies' leads return their evidence by e-mailed link, the chair analyses it and writes the
report; a statutory partner refuses sign-off by link, so the chair asks the agencies for
further evidence, which they return by fresh links, and the second report is signed off."""

from __future__ import annotations

from tests.oscp_flow.journeys.steps import (
    SIGN_OFF_REQUESTED,
    add_action,
    close,
    each,
    evidence_by_link,
    moderate,
    returns_by_link,
    share_and_monitor,
    sign_off,
    write_report,
)
from tests.support.journey import Partnership, at
from tests.support.northdale import CHAIR

AGENCIES = ("a04", "a05", "a06")
LEADS = tuple(f"lead.{code}" for code in AGENCIES)


def test_a_deep_dive_from_planning_to_closed(northdale: Partnership) -> None:
    dive = northdale.start(
        "programme", "start", "camhs-deep-dive", "--lead", CHAIR, *each("--agency", *AGENCIES)
    )
    assert northdale.state(dive) == "planning"
    northdale.fire(dive, "agree_lines_of_enquiry", as_=CHAIR)
    assert northdale.state(dive) == "lines_of_enquiry_agreed"
    northdale.fire(dive, "open_returns", as_=CHAIR)
    returns_by_link(northdale, dive, *LEADS)
    northdale.fire(dive, "close_returns", as_=CHAIR)
    assert northdale.state(dive) == "analysis"
    moderate(northdale, dive)
    northdale.fire(dive, "complete_moderation", as_=CHAIR)
    write_report(northdale, dive)
    assert northdale.state(dive) == "awaiting_sign_off"

    # Refused: the statutory partner wants more evidence, and the chair asks for it.
    northdale.send_mail()
    refusing = northdale.link(at("lsp.a03"), audit=dive, subject=SIGN_OFF_REQUESTED)
    comment = "The waiting-time figures stop in March; ask for the year to date."
    refused = northdale.web.submit(refusing, answers={"decision": "refuse", "comment": comment})
    assert refused.status_code == 200, refused.text
    assert northdale.state(dive) == "further_assurance_requested"
    reason = ("--reason", "Waiting times for the year to date")
    northdale.oscp("audit", "fire", dive, "request_further_evidence", *reason, as_=CHAIR)
    assert northdale.state(dive) == "returns_open"
    returns_by_link(northdale, dive, *LEADS, pick=1)
    northdale.fire(dive, "close_returns", as_=CHAIR)
    moderate(northdale, dive)
    northdale.fire(dive, "complete_moderation", as_=CHAIR)
    assert northdale.state(dive) == "report_drafting"
    northdale.fire(dive, "submit_for_sign_off", as_=CHAIR)
    frozen = northdale.oscp("report", "freeze", dive, as_=CHAIR)  # resubmitting froze it
    assert "Version 2" in frozen and "already frozen" in frozen
    sign_off(northdale, dive, "hub2", "lsp.a03", "lsp.a01")
    assert northdale.state(dive) == "actions_agreed"

    action = add_action(northdale, dive, owner="a05")
    northdale.fire(dive, "start_dissemination", as_=CHAIR)
    share_and_monitor(northdale, dive)
    evidence_by_link(northdale, dive, action, lead="lead.a05", accepted_by=at("hub2"))
    close(northdale, dive)
