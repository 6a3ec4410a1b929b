"""A training impact audit, from planning to closed: the coordinator registers the course's
attendees from a CSV of pseudonymous references, each agency's lead returns its attendees'
reports before the course, after it and at follow-up by e-mailed link, and the findings show
the change; then moderation, the report, sign-off by link, and the action evidenced by link."""

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

AGENCIES = ("a05", "a06")
ATTENDEES = "reference,agency,course,cohort\n" + "".join(
    f"TRN-2026-{n:03d},{agency},Neglect and GCP2,2026-09\n"
    for n, agency in enumerate(("a05", "a05", "a06", "a06"), start=1)
)
LEADS = ("lead.a05", "lead.a06")


def test_a_training_impact_audit_from_planning_to_closed(northdale: Partnership) -> None:
    training = northdale.start(
        "programme",
        "start",
        "neglect-gcp2-training-impact",
        "--lead",
        CHAIR,
        *each("--agency", *AGENCIES),
    )
    assert northdale.state(training) == "planning"
    attendees = northdale.file(f"{training}-attendees.csv", ATTENDEES)
    registered = northdale.oscp(
        "audit", "attendees", "add", training, "--file", str(attendees), as_=COORDINATOR
    )
    assert "Registered 4 attendee(s)" in registered

    # Three rounds of the attendees' reports, each asked by e-mail and returned by link:
    # modest before the course, better after it.
    northdale.fire(training, "open_pre_course_returns", as_=CHAIR)
    assert northdale.state(training) == "pre_course_returns_open"
    returns_by_link(northdale, training, *LEADS, pick=2)
    northdale.fire(training, "close_pre_course_returns", as_=CHAIR)
    assert northdale.state(training) == "training_delivery"
    northdale.fire(training, "open_post_course_returns", as_=CHAIR)
    assert northdale.state(training) == "post_course_returns_open"
    returns_by_link(northdale, training, *LEADS)
    northdale.fire(training, "close_post_course_returns", as_=CHAIR)
    assert northdale.state(training) == "awaiting_follow_up"
    northdale.fire(training, "open_follow_up_returns", as_=CHAIR)
    returns_by_link(northdale, training, *LEADS)
    northdale.fire(training, "close_follow_up_returns", as_=CHAIR)
    assert northdale.state(training) == "analysis"
    found = northdale.oscp("audit", "findings", training)
    assert "Training impact" in found and "after-before" in found

    moderate(northdale, training)
    northdale.fire(training, "complete_moderation", as_=CHAIR)
    assert northdale.state(training) == "report_drafting"
    write_report(northdale, training)
    sign_off(northdale, training, "hub3", "lsp.a01", "lsp.a02")
    assert northdale.state(training) == "dissemination"

    action = add_action(northdale, training, owner="a06")
    share_and_monitor(northdale, training)
    evidence_by_link(northdale, training, action, lead="lead.a06", accepted_by=at("hub1"))
    close(northdale, training)
