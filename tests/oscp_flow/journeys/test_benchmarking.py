"""A benchmarking exercise, from planning to closed: the chair agrees the benchmarking tool,
the agencies' leads return it by e-mailed link, the findings are moderated, the report is
signed off by link, and the action plan's action is evidenced by link."""

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
from tests.support.northdale import CHAIR

AGENCIES = ("a01", "a07", "a08")


def test_a_benchmarking_exercise_from_planning_to_closed(northdale: Partnership) -> None:
    bench = northdale.start(
        "programme", "start", "syv-benchmarking", "--lead", CHAIR, *each("--agency", *AGENCIES)
    )
    assert northdale.state(bench) == "planning"
    northdale.fire(bench, "agree_tool", as_=CHAIR)
    assert northdale.state(bench) == "tool_agreed"
    northdale.fire(bench, "open_returns", as_=CHAIR)
    assert northdale.state(bench) == "returns_open"
    returns_by_link(northdale, bench, *(f"lead.{code}" for code in AGENCIES))
    northdale.fire(bench, "close_returns", as_=CHAIR)
    assert northdale.state(bench) == "moderation"
    moderate(northdale, bench)
    northdale.fire(bench, "complete_moderation", as_=CHAIR)
    assert northdale.state(bench) == "report_drafting"
    write_report(northdale, bench)
    sign_off(northdale, bench, "hub1", "lsp.a02", "lsp.a03")
    assert northdale.state(bench) == "action_plan_agreed"

    action = add_action(northdale, bench, owner="a07")
    northdale.fire(bench, "start_dissemination", as_=CHAIR)
    assert northdale.state(bench) == "dissemination"
    share_and_monitor(northdale, bench)
    evidence_by_link(northdale, bench, action, lead="lead.a07", accepted_by=at("hub3"))
    close(northdale, bench)
