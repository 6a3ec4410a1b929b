"""A Section 11 self-assessment, from planning to closed: the chair agrees the terms and
issues the tool, every agency's lead returns its self-assessment by e-mailed link, the leads
moderate their own agency's findings and the chair the rest, feedback goes to the agencies,
the report is signed off by link, and the action it agrees is evidenced by link."""

from __future__ import annotations

from tests.oscp_flow.journeys.steps import (
    add_action,
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

AGENCIES = ("a01", "a02", "a03", "a04")


def test_a_section_11_from_planning_to_closed(northdale: Partnership) -> None:
    s11 = northdale.start(
        "audit",
        "start",
        "section_11",
        "--theme",
        "Section 11 self-assessment 2026",
        "--lead",
        CHAIR,
        *each("--agency", *AGENCIES),
    )
    assert northdale.state(s11) == "planning"
    northdale.oscp("audit", "terms", s11, *terms(), as_=CHAIR)
    northdale.fire(s11, "agree_terms_of_reference", "issue_tool", as_=CHAIR)
    assert northdale.state(s11) == "tool_issued"
    northdale.fire(s11, "open_returns", as_=CHAIR)
    assert northdale.state(s11) == "returns_open"

    # Until every agency has returned, the returns cannot close.
    returns_by_link(northdale, s11, "lead.a01", "lead.a02", "lead.a03")
    waiting = northdale.oscp("audit", "fire", s11, "close_returns", as_=CHAIR, code=1)
    assert "all_returns_in" in waiting
    returns_by_link(northdale, s11, "lead.a04")
    northdale.fire(s11, "close_returns", as_=CHAIR)
    assert northdale.state(s11) == "moderation"

    # An agency lead moderates their own agency's findings; the chair the rest.
    own = ("findings", "confirm", s11, "--all-shown", "--agency", "a01")
    assert "Confirmed" in northdale.oscp(*own, as_=at("lead.a01"))
    moderate(northdale, s11)
    northdale.fire(s11, "complete_moderation", as_=CHAIR)
    assert northdale.state(s11) == "feedback_to_agencies"
    northdale.fire(s11, "send_feedback", as_=CHAIR)
    assert northdale.state(s11) == "report_drafting"

    write_report(northdale, s11)
    assert northdale.state(s11) == "awaiting_sign_off"
    sign_off(northdale, s11, "hub2", "lsp.a03")
    assert northdale.state(s11) == "actions_agreed"

    action = add_action(northdale, s11, owner="a04")
    northdale.fire(s11, "start_dissemination", as_=CHAIR)
    assert northdale.state(s11) == "dissemination"
    folder = str(northdale.folder / s11)
    assert "briefing" in northdale.oscp("report", "products", s11, "--out", folder, as_=CHAIR)
    share_and_monitor(northdale, s11)
    evidence_by_link(northdale, s11, action, lead="lead.a04", accepted_by=at("hub3"))
    close(northdale, s11)
