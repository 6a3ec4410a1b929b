"""A Section 11 self-assessment, from planning to closed: the chair agrees the terms and
issues the tool, every agency's lead returns its self-assessment by e-mailed link, the leads
moderate their own agency's findings and the chair the rest, the chair writes each agency's
feedback, the report is signed off by link, each agency's leads read their own feedback
letter by link, and the action the report agrees is evidenced by link."""

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
from tests.support.northdale import CHAIR, COORDINATOR

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

    # Each agency's feedback, written in a text file, is recorded; the way on waits for all.
    for n, agency in enumerate(AGENCIES):
        if n == len(AGENCIES) - 1:
            early = northdale.oscp("audit", "fire", s11, "send_feedback", as_=CHAIR, code=1)
            assert "feedback_recorded" in early and "a04" not in early
        feedback = northdale.file(
            f"{s11}-{agency}.txt",
            f"Agency {agency}: supervision is strong; evidence the training standard next year.",
        )
        northdale.oscp("audit", "feedback", s11, agency, "--file", str(feedback), as_=CHAIR)
    northdale.fire(s11, "send_feedback", as_=CHAIR)
    assert northdale.state(s11) == "report_drafting"

    write_report(northdale, s11)
    assert northdale.state(s11) == "awaiting_sign_off"
    sign_off(northdale, s11, "hub2", "lsp.a03", "lsp.a01")
    assert northdale.state(s11) == "actions_agreed"

    action = add_action(northdale, s11, owner="a04")
    northdale.fire(s11, "start_dissemination", as_=CHAIR)
    assert northdale.state(s11) == "dissemination"
    folder = str(northdale.folder / s11)
    made = northdale.oscp("report", "products", s11, "--out", folder, as_=CHAIR)
    assert "briefing" in made and "feedback-letter-a01" in made and "summary-to-all" not in made

    # Each agency's leads are sent their own letter by link, and read it.
    sent = northdale.oscp("report", "send-letters", s11, as_=COORDINATOR)
    assert f"{len(AGENCIES)} letters" in sent
    northdale.send_mail()
    for agency in AGENCIES:
        link = northdale.link(at(f"lead.{agency}"), audit=s11, subject="Your feedback letter")
        page = northdale.web.open(link)
        assert "Your feedback letter" in page and s11 in page
    share_and_monitor(northdale, s11)
    evidence_by_link(northdale, s11, action, lead="lead.a04", accepted_by=at("hub3"))
    close(northdale, s11)
