"""A dip sample, from planning to closed: the chair agrees its scope, draws a random sample
from a CSV of pseudonymous cases, independent auditors are assigned and declare, the agencies
named in each case return by e-mailed link, then moderation, the report, sign-off by link,
and the action evidenced by link."""

from __future__ import annotations

from tests.oscp_flow.journeys.steps import (
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
    write_report,
)
from tests.support.journey import Partnership, at
from tests.support.northdale import CHAIR

AGENCIES = ("a02", "a03", "a10")
CASES = {f"NDD-2026-{n:04d}": "a02;a03;a10" for n in range(1, 7)}


def test_a_dip_sample_from_planning_to_closed(northdale: Partnership) -> None:
    dip = northdale.start(
        "audit",
        "start",
        "dip_sample",
        "--theme",
        "Partner engagement with core groups",
        "--lead",
        CHAIR,
        *each("--agency", *AGENCIES),
    )
    assert northdale.state(dip) == "planning"
    northdale.fire(dip, "agree_scope", as_=CHAIR)
    assert northdale.state(dip) == "scope_agreed"

    # Two of the six cases drawn at random (with a seed, so the draw can be repeated).
    listed = cases_file(northdale, f"{dip}-cases.csv", CASES)
    random = ("--method", "random", "--size", "2", "--seed", "7")
    drawn = northdale.oscp("audit", "sample", dip, listed, *random, as_=CHAIR)
    assert "Sampled 2 case(s) with seed 7" in drawn
    sampled = [case for case in CASES if case in drawn]
    northdale.fire(dip, "select_sample", as_=CHAIR)
    assert northdale.state(dip) == "sample_selected"
    auditors = dict(zip(sampled, (at("auditor1"), at("auditor2")), strict=True))
    assign_auditors(northdale, dip, auditors)
    northdale.fire(dip, "confirm_auditors", "open_returns", as_=CHAIR)
    assert northdale.state(dip) == "returns_open"

    returns_by_link(northdale, dip, *(f"lead.{code}" for code in AGENCIES))
    northdale.fire(dip, "close_returns", as_=CHAIR)
    assert northdale.state(dip) == "moderation"
    moderate(northdale, dip)
    northdale.fire(dip, "complete_moderation", as_=CHAIR)
    write_report(northdale, dip)
    sign_off(northdale, dip, "hub2", "lsp.a02", "lsp.a03")
    assert northdale.state(dip) == "dissemination"

    action = add_action(northdale, dip, owner="a10")
    share_and_monitor(northdale, dip)
    evidence_by_link(northdale, dip, action, lead="lead.a10", accepted_by=at("hub2"))
    close(northdale, dip)
