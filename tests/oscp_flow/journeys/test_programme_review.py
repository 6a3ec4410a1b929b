"""The annual review of the audit programme, from planning to closed: the coordinator starts
it (as the worker does each April) and opens proposals, the partners' leads return theirs by
e-mailed link, the chair drafts the programme, it is signed off by link, published, and the
review is closed once its publication is recorded."""

from __future__ import annotations

from tests.oscp_flow.journeys.steps import (
    close,
    each,
    returns_by_link,
    sign_off,
    write_report,
)
from tests.support.journey import Partnership
from tests.support.northdale import CHAIR, COORDINATOR

AGENCIES = ("a01", "a02", "a03")


def test_a_programme_review_from_planning_to_closed(northdale: Partnership) -> None:
    review = northdale.start(
        "audit",
        "start",
        "programme_review",
        "--theme",
        "Review of the audit programme 2026",
        "--lead",
        CHAIR,
        *each("--agency", *AGENCIES),
    )
    assert northdale.state(review) == "planning"
    northdale.fire(review, "open_proposals", as_=COORDINATOR)
    assert northdale.state(review) == "proposals_open"
    returns_by_link(northdale, review, *(f"lead.{code}" for code in AGENCIES))
    northdale.fire(review, "close_proposals", as_=CHAIR)
    assert northdale.state(review) == "programme_drafting"
    write_report(northdale, review)
    assert northdale.state(review) == "awaiting_sign_off"
    sign_off(northdale, review, "hub2", "lsp.a01", "lsp.a02")
    assert northdale.state(review) == "published"

    blocked = northdale.oscp("audit", "fire", review, "close", as_=COORDINATOR, code=1)
    assert "dissemination_recorded" in blocked
    assert northdale.share_everything(review)
    close(northdale, review)
