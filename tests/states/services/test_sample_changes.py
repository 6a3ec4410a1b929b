"""Changing a case sample before returns open (issue 15, item 6): a random draw takes only
cases in the window; the coordinator replaces the sample or removes a case, with a reason in
the history; once returns are open the sample stands."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from states.errors import InvalidInput, NotFound, PermissionDenied
from states.persistence import tables as t
from states.services import auditors, audits, queries, sampling
from states.services.deps import Deps
from states.services.sampling import CaseCandidate
from tests.support.driver import drive
from tests.support.partnership import email
from tests.support.terms import record_terms

COORDINATOR = email("coordinator")
# The tests' audits start on 2 March 2026: a MACE looks back 12 months.
RECENT = [
    CaseCandidate(f"NV-{n:03d}", ("police", "csc"), None, date(2026, 1, n)) for n in (1, 2, 3)
]
OLD = [CaseCandidate(f"NV-9{n:02d}", ("police",), None, date(2024, 6, n)) for n in (1, 2)]


def _planned_mace(deps: Deps) -> str:
    reference = audits.start_audit(
        deps, audit_type="mace", theme="Neglect", lead=email("chair"), actor=COORDINATOR
    ).reference
    record_terms(deps, reference)
    audits.fire(deps, audit=reference, trigger="agree_terms_of_reference", actor=email("chair"))
    return reference


def _sampled(deps: Deps, reference: str) -> list[str]:
    with deps.uow(readonly=True) as uow:
        found = uow.connection.execute(
            select(t.case.c.reference)
            .join(t.audit, t.audit.c.id == t.case.c.audit_id)
            .where(t.audit.c.reference == reference)
            .order_by(t.case.c.reference)
        )
        return list(found.scalars())


def _last_event(deps: Deps, reference: str) -> tuple[str, str | None]:
    last = queries.history(deps, audit=reference)[-1]
    return last.trigger, last.reason


def test_a_random_draw_takes_only_cases_in_the_window(partnership: Deps) -> None:
    deps = partnership
    ref = _planned_mace(deps)
    with pytest.raises(InvalidInput, match="None of the 2 cases offered had an intervention"):
        sampling.select_sample(
            deps, audit=ref, actor=COORDINATOR, candidates=OLD, method="random", size=2, seed=1
        )
    draw = sampling.select_sample(
        deps,
        audit=ref,
        actor=COORDINATOR,
        candidates=[*RECENT, *OLD],
        method="random",
        size=5,
        seed=1,
    )
    assert sorted(draw.chosen) == [c.reference for c in RECENT] and draw.ineligible == 2
    audits.fire(deps, audit=ref, trigger="select_sample", actor=email("chair"))  # gate passes


def test_the_coordinator_replaces_the_sample_with_a_reason(partnership: Deps) -> None:
    deps = partnership
    ref = _planned_mace(deps)
    sampling.select_sample(deps, audit=ref, actor=COORDINATOR, candidates=RECENT, method="list")
    auditors.assign_auditor(
        deps, audit=ref, actor=COORDINATOR, case="NV-001", auditor=email("auditor.one")
    )
    with pytest.raises(InvalidInput, match="has already sampled NV-001, NV-002, NV-003"):
        sampling.select_sample(deps, audit=ref, actor=COORDINATOR, candidates=RECENT, method="list")
    with pytest.raises(InvalidInput, match="Say why the sample is being replaced"):
        sampling.select_sample(
            deps, audit=ref, actor=COORDINATOR, candidates=RECENT, method="list", replace=True
        )
    why = "The list was exported before the case system was cleaned"
    with pytest.raises(PermissionDenied, match="only the coordinator may replace sample"):
        sampling.select_sample(
            deps,
            audit=ref,
            actor=email("chair"),
            candidates=RECENT,
            method="list",
            replace=True,
            reason=why,
        )
    fresh = [CaseCandidate("NV-010", ("csc",), None, date(2026, 2, 1)), RECENT[0]]
    draw = sampling.select_sample(
        deps,
        audit=ref,
        actor=COORDINATOR,
        candidates=fresh,
        method="list",
        replace=True,
        reason=why,
    )
    assert (draw.replaced, draw.chosen) == (3, ["NV-001", "NV-010"])
    assert _sampled(deps, ref) == ["NV-001", "NV-010"]
    assert _last_event(deps, ref) == ("replace_sample", why)
    # The case drawn again comes without the auditor it had: assignments went with the sample.
    assert all(not d.assigned for d in auditors.list_auditors(deps, audit=ref).auditors)


def test_the_coordinator_removes_a_case_before_returns_open(partnership: Deps) -> None:
    deps = partnership
    ref = _planned_mace(deps)
    sampling.select_sample(deps, audit=ref, actor=COORDINATOR, candidates=RECENT, method="list")
    why = "The family moved out of the area"
    with pytest.raises(InvalidInput, match="Say why the case is being taken out"):
        sampling.remove_case(deps, audit=ref, actor=COORDINATOR, case="NV-002", reason=" ")
    with pytest.raises(NotFound):
        sampling.remove_case(deps, audit=ref, actor=COORDINATOR, case="NV-404", reason=why)
    sampling.remove_case(deps, audit=ref, actor=COORDINATOR, case="NV-002", reason=why)
    assert _sampled(deps, ref) == ["NV-001", "NV-003"]
    assert _last_event(deps, ref) == ("remove_case", why)


def test_once_returns_are_open_the_sample_stands(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "returns_open")
    with pytest.raises(InvalidInput, match="past planning"):
        sampling.remove_case(
            deps, audit=driver.reference, actor=COORDINATOR, case=driver.cases[0], reason="Late"
        )
    with pytest.raises(InvalidInput, match="past planning"):
        sampling.select_sample(
            deps,
            audit=driver.reference,
            actor=COORDINATOR,
            candidates=RECENT,
            method="list",
            replace=True,
            reason="Late",
        )
    assert _sampled(deps, driver.reference) == sorted(driver.cases)
