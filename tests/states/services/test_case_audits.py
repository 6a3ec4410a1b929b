"""An auditor's case audit (issue 17 item 4): on a case audit each agency the case names owes
a return on it, and the auditor assigned to the case completes each of them; an agency lead
sees only their own agency's, anyone else is refused or told the case does not exist."""

from __future__ import annotations

import pytest

from states.errors import NotFound, PermissionDenied
from states.services import partnership as directory
from states.services import returns
from states.services.case_audits import CaseAudit, case_audit
from states.services.deps import Deps
from tests.support.driver import complete_answers, drive
from tests.support.partnership import email

# The driven MACE's agencies on every case, by name.
INVOLVED = ["community_health", "csc", "police"]


def _audit(deps: Deps, reference: str, case: str, local: str) -> CaseAudit:
    return case_audit(deps, audit=reference, actor=email(local), case=case)


def test_the_assigned_auditor_completes_every_involved_agencys_return(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "returns_open")
    reference, case = driver.reference, driver.cases[1]  # auditor.one's
    seen = _audit(deps, reference, case, "auditor.one")
    assert seen.open and seen.round is not None and seen.tool.completed_per == "case"
    assert sorted(r.agency.code for r in seen.returns) == INVOLVED
    assert {r.saved.status for r in seen.returns} == {"not started"}

    tool = deps.catalogue.tool("mace")
    assert tool is not None
    returns.submit(
        deps,
        audit=reference,
        actor=email("auditor.one"),
        agency="police",
        case=case,
        answers=complete_answers(tool),
    )
    police = _audit(deps, reference, case, "auditor.one").agency("police")
    assert police is not None and police.saved.status == "submitted"
    assert police.saved.answers["lived_experience_rating"] == "outstanding"

    own = _audit(deps, reference, case, "lead.csc")
    assert [r.agency.code for r in own.returns] == ["csc"]


def test_others_are_refused_or_told_the_case_is_not_there(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "returns_open")
    reference, first, second = driver.reference, driver.cases[0], driver.cases[1]
    with pytest.raises(NotFound):
        _audit(deps, reference, first, "auditor.one")  # auditor.two's case
    with pytest.raises(NotFound):
        _audit(deps, reference, "NOT-A-CASE", "auditor.one")
    directory.add_person(
        deps, name="Dee Unassigned", email=email("auditor.three"), roles=["auditor"], agency=None
    )
    for someone in ("lhm", "chair", "auditor.three"):
        with pytest.raises(PermissionDenied, match="may complete case audits"):
            _audit(deps, reference, second, someone)


def test_before_returns_open_the_case_audit_waits(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "auditors_assigned")
    seen = _audit(deps, driver.reference, driver.cases[0], "auditor.two")
    assert not seen.open and seen.round is None
    assert {r.saved.status for r in seen.returns} == {"not started"}
