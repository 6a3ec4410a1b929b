"""A Section 175 self-assessment of schools and settings, from planning to closed: every
setting's lead returns by e-mailed link, the chair takes the deep-dive sample and records
each sampled setting's feedback, the report is signed off by link, and each sampled setting
reads its own letter, and every setting the summary to all, through the links they are sent."""

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
    write_report,
)
from tests.support.journey import Partnership, at
from tests.support.northdale import CHAIR, COORDINATOR

SETTINGS = ("s001", "s002", "s003", "s004")
DEEP_DIVE = ("s001", "s003")


def test_a_section_175_from_planning_to_closed(northdale: Partnership) -> None:
    s175 = northdale.start(
        "audit",
        "start",
        "section_175",
        "--theme",
        "Safeguarding in education 2026",
        "--lead",
        CHAIR,
        *each("--agency", *SETTINGS),
    )
    assert northdale.state(s175) == "planning"
    northdale.fire(s175, "issue_tool", "open_returns", as_=CHAIR)
    assert northdale.state(s175) == "returns_open"
    returns_by_link(northdale, s175, *(f"lead.{code}" for code in SETTINGS))
    northdale.fire(s175, "close_returns", as_=CHAIR)
    assert northdale.state(s175) == "deep_dive"

    # The deep dive: a sample of the self-assessments, chosen by hand, then moderated.
    chosen = northdale.oscp(
        "audit", "deep-dive", "select", s175, "--settings", ",".join(DEEP_DIVE), as_=CHAIR
    )
    assert "2 settings by hand" in chosen
    moderate(northdale, s175)
    northdale.fire(s175, "complete_deep_dive", as_=CHAIR)
    assert northdale.state(s175) == "individual_feedback"

    # Each sampled setting's feedback, written in a text file, is recorded.
    early = northdale.oscp("audit", "fire", s175, "send_feedback", as_=CHAIR, code=1)
    assert "feedback_recorded" in early
    for setting in DEEP_DIVE:
        feedback = northdale.file(
            f"{s175}-{setting}.txt",
            "A strong safeguarding culture; bring the online safety policy up to date.",
        )
        northdale.oscp("audit", "feedback", s175, setting, "--file", str(feedback), as_=CHAIR)
    northdale.fire(s175, "send_feedback", as_=CHAIR)
    assert northdale.state(s175) == "report_drafting"

    write_report(northdale, s175)
    sign_off(northdale, s175, "hub1", "lsp.a02", "lsp.a03")
    assert northdale.state(s175) == "dissemination"

    # The letters and the summary to all settings, made from the signed-off report and sent
    # as links; each setting's lead reads what is theirs.
    folder = str(northdale.folder / s175)
    made = northdale.oscp("report", "products", s175, "--out", folder, as_=CHAIR)
    assert "feedback-letter-s001" in made and "summary-to-all" in made
    sent = northdale.oscp("report", "send-letters", s175, as_=COORDINATOR)
    assert "2 letters" in sent and "4 settings" in sent
    northdale.send_mail()
    for setting in DEEP_DIVE:
        letter = northdale.link(at(f"lead.{setting}"), audit=s175, subject="Your feedback letter")
        assert "Feedback letter" in northdale.web.open(letter)
    assert not northdale.mail(at("lead.s002"), audit=s175, subject="Your feedback letter")
    summary = northdale.link(at("lead.s002"), audit=s175, subject="Summary findings")
    assert s175 in northdale.web.open(summary)

    action = add_action(northdale, s175, owner="s002")
    share_and_monitor(northdale, s175)
    evidence_by_link(northdale, s175, action, lead="lead.s002", accepted_by=at("hub2"))
    close(northdale, s175)
