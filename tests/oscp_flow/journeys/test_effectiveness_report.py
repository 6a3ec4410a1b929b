"""A quarterly safeguarding effectiveness report, from planning to closed: the coordinator
starts it (as the worker does each quarter) and opens the returns, the agencies' leads return
their figures by e-mailed link, the chair writes the report, one learning hub member signs it
off by link, what it must share (the regional submission among it) is recorded, and the
learning hub's monitoring ends with its close."""

from __future__ import annotations

from tests.oscp_flow.journeys.steps import (
    close,
    each,
    returns_by_link,
    share_and_monitor,
    sign_off,
    write_report,
)
from tests.support.journey import Partnership
from tests.support.northdale import CHAIR, COORDINATOR

AGENCIES = ("a01", "a02", "a03")


def test_an_effectiveness_report_from_planning_to_closed(northdale: Partnership) -> None:
    report = northdale.start(
        "audit",
        "start",
        "effectiveness_report",
        "--theme",
        "What difference are we making, quarter 3",
        "--lead",
        CHAIR,
        *each("--agency", *AGENCIES),
    )
    assert northdale.state(report) == "planning"
    northdale.fire(report, "open_returns", as_=COORDINATOR)
    assert northdale.state(report) == "returns_open"
    returns_by_link(northdale, report, *(f"lead.{code}" for code in AGENCIES))
    northdale.fire(report, "close_returns", as_=CHAIR)
    assert northdale.state(report) == "report_drafting"
    write_report(northdale, report)
    sign_off(northdale, report, "hub1")
    assert northdale.state(report) == "dissemination"
    assert "regional_submission" in northdale.to_share(report)
    share_and_monitor(northdale, report)
    close(northdale, report)
