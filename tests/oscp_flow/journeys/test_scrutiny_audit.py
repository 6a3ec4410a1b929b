"""A scrutiny audit, from planning to closed: the chair records and agrees the terms, the
agencies' leads return their evidence by e-mailed link, the findings are moderated, the report
is signed off by link, what it must share (young people's feedback included) is recorded, and
the action is evidenced by link."""

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

AGENCIES = ("a01", "a02", "a09")


def test_a_scrutiny_audit_from_planning_to_closed(northdale: Partnership) -> None:
    scrutiny = northdale.start(
        "programme",
        "start",
        "operation-encompass-schools",
        "--lead",
        CHAIR,
        *each("--agency", *AGENCIES),
    )
    assert northdale.state(scrutiny) == "planning"
    northdale.oscp("audit", "terms", scrutiny, *terms(), as_=CHAIR)
    northdale.fire(scrutiny, "agree_terms_of_reference", as_=CHAIR)
    assert northdale.state(scrutiny) == "terms_of_reference_agreed"
    northdale.fire(scrutiny, "open_returns", as_=CHAIR)
    returns_by_link(northdale, scrutiny, *(f"lead.{code}" for code in AGENCIES))
    northdale.fire(scrutiny, "close_returns", as_=CHAIR)
    assert northdale.state(scrutiny) == "moderation"
    moderate(northdale, scrutiny)
    northdale.fire(scrutiny, "complete_moderation", as_=CHAIR)
    write_report(northdale, scrutiny)
    assert northdale.state(scrutiny) == "awaiting_sign_off"
    sign_off(northdale, scrutiny, "hub3", "lsp.a01", "lsp.a02")
    assert northdale.state(scrutiny) == "dissemination"

    action = add_action(northdale, scrutiny, owner="a09")
    assert "young_people" in northdale.to_share(scrutiny)
    share_and_monitor(northdale, scrutiny)
    evidence_by_link(northdale, scrutiny, action, lead="lead.a09", accepted_by=at("hub1"))
    close(northdale, scrutiny)
