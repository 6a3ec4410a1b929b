"""An audit's sample as the chair and coordinator read it, a cases list checked before it is
stored (issue 17, item 2), and one case replaced by another in one change."""

from __future__ import annotations

from datetime import date

import pytest

from states.errors import InvalidInput, NotFound, PermissionDenied
from states.services import auditors, audits, queries, sample_view, sampling
from states.services.deps import Deps
from states.services.sampling import CaseCandidate
from tests.support.driver import drive
from tests.support.partnership import agency_name, email
from tests.support.terms import record_terms

COORDINATOR, CHAIR = email("coordinator"), email("chair")
# The tests' audits start on 2 March 2026: a MACE looks back 12 months, to 2 March 2025.
IN = CaseCandidate("NV-001", ("police", "csc"), date(2025, 9, 1), date(2026, 1, 5))
OUT = CaseCandidate("NV-002", ("police",), None, date(2024, 6, 1))


def _planned_mace(deps: Deps) -> str:
    reference = audits.start_audit(
        deps, audit_type="mace", theme="Neglect", lead=CHAIR, actor=COORDINATOR
    ).reference
    record_terms(deps, reference)
    audits.fire(deps, audit=reference, trigger="agree_terms_of_reference", actor=CHAIR)
    return reference


def _draw(deps: Deps, reference: str, cases: list[CaseCandidate]) -> None:
    sampling.select_sample(
        deps, audit=reference, actor=COORDINATOR, candidates=cases, method="list"
    )


def test_the_sample_shows_each_case_its_agencies_and_the_window(partnership: Deps) -> None:
    deps = partnership
    ref = _planned_mace(deps)
    _draw(deps, ref, [IN, OUT])
    view = sample_view.sample_of(deps, audit=ref, as_person=CHAIR)
    assert view.window == sample_view.Window(12, date(2025, 3, 2), date(2026, 3, 2))
    assert (view.per_case, view.planning, view.may_change) == (True, True, False)
    assert [(c.reference, c.agencies, c.in_window) for c in view.cases] == [
        ("NV-001", tuple(sorted((agency_name("police"), agency_name("csc")))), True),
        ("NV-002", (agency_name("police"),), False),
    ]
    assert sample_view.sample_of(deps, audit=ref, as_person=COORDINATOR).may_change


def test_only_the_chair_and_coordinators_read_the_sample(partnership: Deps) -> None:
    deps = partnership
    ref = _planned_mace(deps)
    for who in ("auditor.one", "lhm", "lead.police"):
        with pytest.raises(PermissionDenied, match="only the chair or coordinator may read"):
            sample_view.sample_of(deps, audit=ref, as_person=email(who))
    with pytest.raises(NotFound):
        sample_view.sample_of(deps, audit="AUD-NOSUCH", as_person=CHAIR)


def test_a_list_is_checked_case_by_case_before_anything_is_stored(partnership: Deps) -> None:
    deps = partnership
    ref = _planned_mace(deps)
    _draw(deps, ref, [IN])
    offered = [
        IN,
        OUT,
        CaseCandidate("NV-003", ("police", "ambulance"), None, date(2026, 2, 1)),
        CaseCandidate("NV-004", ("Dr Smith",), None, date(2026, 2, 1)),
        CaseCandidate("NV-005", (), None, None),
    ]
    check = sample_view.check_sample(deps, audit=ref, as_person=CHAIR, offered=offered)
    assert [(c.case.reference, c.case.in_window, c.problem) for c in check.offered] == [
        ("NV-001", True, "is already in the audit's sample"),
        ("NV-002", False, None),
        ("NV-003", True, "names agencies the directory does not hold: ambulance"),
        ("NV-004", True, "names an agency that is not one of the directory's codes"),
        ("NV-005", False, None),
    ]
    assert (check.problems, check.outside_window) == (3, 2)
    assert check.offered[2].case.agencies == (agency_name("police"), "ambulance")
    # Nothing was stored by the check.
    assert [c.reference for c in sample_view.sample_of(deps, audit=ref, as_person=CHAIR).cases] == [
        "NV-001"
    ]


def test_the_coordinator_replaces_one_case_in_one_change(partnership: Deps) -> None:
    deps = partnership
    ref = _planned_mace(deps)
    _draw(deps, ref, [IN, OUT])
    auditors.assign_auditor(
        deps, audit=ref, actor=COORDINATOR, case="NV-002", auditor=email("auditor.one")
    )
    new = CaseCandidate("NV-010", ("csc",), None, date(2026, 2, 1))
    why = "No intervention in the window"
    with pytest.raises(PermissionDenied, match="only the coordinator may replace case"):
        sampling.replace_case(deps, audit=ref, actor=CHAIR, case="NV-002", new=new, reason=why)
    with pytest.raises(InvalidInput, match="Say why the case is being replaced"):
        sampling.replace_case(deps, audit=ref, actor=COORDINATOR, case="NV-002", new=new, reason="")
    with pytest.raises(InvalidInput, match="looks like a name"):
        sampling.replace_case(
            deps,
            audit=ref,
            actor=COORDINATOR,
            case="NV-002",
            new=CaseCandidate("Jane Doe"),
            reason=why,
        )
    with pytest.raises(NotFound):
        sampling.replace_case(
            deps, audit=ref, actor=COORDINATOR, case="NV-404", new=new, reason=why
        )
    with pytest.raises(InvalidInput, match="has already sampled NV-001"):
        sampling.replace_case(deps, audit=ref, actor=COORDINATOR, case="NV-002", new=IN, reason=why)

    sampling.replace_case(deps, audit=ref, actor=COORDINATOR, case="NV-002", new=new, reason=why)
    view = sample_view.sample_of(deps, audit=ref, as_person=COORDINATOR)
    assert [(c.reference, c.in_window) for c in view.cases] == [("NV-001", True), ("NV-010", True)]
    last = queries.history(deps, audit=ref)[-1]
    assert (last.trigger, last.reason) == ("replace_case", f"NV-002 replaced by NV-010: {why}")
    # The auditor went with the case replaced.
    assert not auditors.list_auditors(deps, audit=ref).auditors
    audits.fire(deps, audit=ref, trigger="select_sample", actor=CHAIR)  # every case in window


def test_once_returns_are_open_no_case_is_replaced(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "returns_open")
    view = sample_view.sample_of(deps, audit=driver.reference, as_person=COORDINATOR)
    assert not view.planning and len(view.cases) == 3
    with pytest.raises(InvalidInput, match="past planning"):
        sampling.replace_case(
            deps,
            audit=driver.reference,
            actor=COORDINATOR,
            case=driver.cases[0],
            new=CaseCandidate("NV-010", ("csc",), None, date(2026, 2, 1)),
            reason="Late",
        )


def test_only_those_who_assign_auditors_list_them_for_a_page(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "sample_selected")
    for who in (CHAIR, COORDINATOR):
        listed = auditors.list_auditors(deps, audit=driver.reference, as_person=who)
        assert listed.cases == sorted(driver.cases)
    with pytest.raises(PermissionDenied, match="only the chair or coordinator may assign"):
        auditors.list_auditors(deps, audit=driver.reference, as_person=email("auditor.one"))
