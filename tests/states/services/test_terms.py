"""Terms of reference as data (issue 15, item 5): recorded while the audit is planned, needed
before the terms are agreed, amended part by part, fixed once planning is over, and shown in
the summary report's methodology section."""

from __future__ import annotations

from datetime import datetime

import pytest

from notifications.reports import render
from states.clock import FakeClock
from states.errors import GateBlocked, InvalidInput, PermissionDenied
from states.services import audits, queries, terms
from states.services.deps import Deps
from states.services.report_data import gather_figures
from tests.support.driver import drive
from tests.support.partnership import email, person_name
from tests.support.terms import TERMS, record_terms


def _mace(deps: Deps) -> str:
    return audits.start_audit(
        deps, audit_type="mace", theme="Neglect", lead=email("chair"), actor=email("coordinator")
    ).reference


def _agree(deps: Deps, reference: str) -> None:
    audits.fire(deps, audit=reference, trigger="agree_terms_of_reference", actor=email("chair"))


def test_terms_are_recorded_before_they_are_agreed_and_amended_while_planning(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    ref = _mace(deps)
    with pytest.raises(GateBlocked, match="terms_recorded: the terms of reference"):
        _agree(deps, ref)
    assert terms.read_terms(deps, audit=ref) is None
    with pytest.raises(InvalidInput, match="still to give: time window, methodology, sample"):
        terms.record_terms(deps, audit=ref, actor=email("chair"), scope="Neglect cases")
    with pytest.raises(InvalidInput, match="Scope cannot be left empty"):
        terms.record_terms(deps, audit=ref, actor=email("chair"), **{**TERMS, "scope": "  "})
    with pytest.raises(PermissionDenied, match="only the chair or coordinator"):
        terms.record_terms(deps, audit=ref, actor=email("lhm"), **TERMS)

    first = terms.record_terms(deps, audit=ref, actor=email("chair"), **TERMS)
    mace_tool = deps.catalogue.tool("mace")
    assert mace_tool is not None and first.terms.tool == mace_tool.title  # the audit's own
    assert first.recorded_by == person_name("chair")
    _agree(deps, ref)

    # Still planning: a part can change, the others stay as agreed.
    terms.record_terms(deps, audit=ref, actor=email("coordinator"), timetable="By 30 June")
    now = terms.read_terms(deps, audit=ref)
    assert now is not None
    assert (now.terms.timetable, now.terms.scope) == ("By 30 June", TERMS["scope"])
    assert now.recorded_by == person_name("coordinator") and now.recorded_at == clock.now()
    recorded = [e.trigger for e in queries.history(deps, audit=ref)].count("record_terms")
    assert recorded == 2


def test_terms_are_fixed_once_planning_is_over(partnership: Deps) -> None:
    deps = partnership
    ref = drive(deps, "mace", "returns_open").reference
    with pytest.raises(InvalidInput, match="past planning"):
        terms.record_terms(deps, audit=ref, actor=email("chair"), scope="Something else")
    agreed = terms.read_terms(deps, audit=ref)
    assert agreed is not None and agreed.terms.scope != "Something else"


def test_the_summary_report_shows_the_terms_as_its_methodology(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    ref = _mace(deps)
    dated = datetime(2026, 3, 2, 12, tzinfo=clock.now().tzinfo)
    before = render("summary", gather_figures(deps, audit=ref), {}, version=1, dated=dated)
    assert 'id="methodology"' not in before
    record_terms(deps, ref)
    figures = gather_figures(deps, audit=ref)
    assert [(term.label, term.text) for term in figures.terms][:2] == [
        ("Scope", TERMS["scope"]),
        ("Time window", TERMS["time_window"]),
    ]
    html = render("summary", figures, {}, version=1, dated=dated)
    assert '<section id="methodology">' in html
    for text in TERMS.values():
        assert text.replace("'", "&#39;") in html
