"""Auditors on a case audit's cases (issue 15, item 1): assigned from the auditor pool, each
declares for their own case (none, practice or management, framework s.11); a declared
involvement ends the assignment, and the gate waits for every declaration."""

from __future__ import annotations

import pytest

from states.errors import AuditorConflicted, GateBlocked, InvalidInput, PermissionDenied
from states.persistence.vocabulary import Involvement
from states.services import auditors, audits, queries
from states.services.deps import Deps
from tests.support.driver import Driver, drive
from tests.support.partnership import agency_name, email, person_name

ONE, TWO = email("auditor.one"), email("auditor.two")


def _sampled(deps: Deps) -> Driver:
    """A MACE with its terms agreed and three cases sampled, nobody assigned yet."""
    return drive(deps, "mace", "sample_selected")


def _assign(deps: Deps, reference: str, case: str, auditor: str) -> None:
    auditors.assign_auditor(
        deps, audit=reference, actor=email("coordinator"), case=case, auditor=auditor
    )


def _declare(deps: Deps, reference: str, case: str, auditor: str, involvement: str) -> None:
    auditors.declare(deps, audit=reference, actor=auditor, case=case, involvement=involvement)


def _confirm(deps: Deps, reference: str) -> None:
    audits.fire(deps, audit=reference, trigger="confirm_auditors", actor=email("chair"))


def test_the_gate_waits_for_every_declaration_and_involvement_ends_an_assignment(
    partnership: Deps,
) -> None:
    deps = partnership
    driver = _sampled(deps)
    ref, (c1, c2, c3) = driver.reference, driver.cases
    for case, auditor in ((c1, ONE), (c2, ONE), (c3, TWO)):
        _assign(deps, ref, case, auditor)
    one = person_name("auditor.one")
    with pytest.raises(GateBlocked, match=f"declare any involvement: {one} on {c1}, {one} on"):
        _confirm(deps, ref)

    _declare(deps, ref, c1, ONE, "none")
    _declare(deps, ref, c3, TWO, "none")
    with pytest.raises(GateBlocked, match=f"declare any involvement: {one} on {c2}\\.$"):
        _confirm(deps, ref)

    _declare(deps, ref, c2, ONE, "practice")
    with pytest.raises(GateBlocked, match=f"cases {c2} have no auditor yet"):
        _confirm(deps, ref)
    with pytest.raises(AuditorConflicted, match=f"{one} declared involvement in case {c2}"):
        _assign(deps, ref, c2, ONE)

    _assign(deps, ref, c2, TWO)
    _declare(deps, ref, c2, TWO, "none")
    _confirm(deps, ref)
    assert queries.audit_status(deps, audit=ref, as_person=email("chair")).state == (
        "auditors_assigned"
    )
    declared = [
        e.reason for e in queries.history(deps, audit=ref) if e.trigger == "declare_involvement"
    ]
    assert f"Involvement in the practice of case {c2}: the assignment ends" in declared

    view = auditors.list_auditors(deps, audit=ref)
    assert view.cases == [c1, c2, c3]
    on_c2 = [(d.auditor.email, d.assigned, d.involvement) for d in view.on(c2)]
    assert on_c2 == [(TWO, True, Involvement.NONE), (ONE, False, Involvement.PRACTICE)]
    pool = {m.email: m.agency for m in view.pool}
    assert pool == {ONE: agency_name("csc"), TWO: agency_name("community_health")}


def test_only_the_assigned_auditor_declares_and_only_for_themselves(partnership: Deps) -> None:
    deps = partnership
    driver = _sampled(deps)
    ref, (c1, c2, _) = driver.reference, driver.cases
    with pytest.raises(PermissionDenied, match="only the auditor may declare involvement"):
        _declare(deps, ref, c1, TWO, "none")  # assigned nowhere in this audit
    _assign(deps, ref, c1, ONE)
    _assign(deps, ref, c2, TWO)
    with pytest.raises(PermissionDenied, match=f"Only the auditor assigned to case {c1}"):
        _declare(deps, ref, c1, TWO, "none")
    with pytest.raises(PermissionDenied):
        _declare(deps, ref, c1, email("coordinator"), "none")
    with pytest.raises(InvalidInput, match="Declare one of none, practice, management"):
        _declare(deps, ref, c1, ONE, "a little")
    with pytest.raises(InvalidInput, match="already assigned to case"):
        _assign(deps, ref, c1, ONE)
    with pytest.raises(InvalidInput, match="not one of the partnership's auditors"):
        _assign(deps, ref, c1, email("lead.police"))

    # "None" may become an involvement remembered later; a declared involvement stands.
    _declare(deps, ref, c1, ONE, "none")
    _declare(deps, ref, c1, ONE, "management")
    assert [d.involvement for d in auditors.list_auditors(deps, audit=ref).on(c1)] == [
        Involvement.MANAGEMENT
    ]
    with pytest.raises(PermissionDenied, match="only the auditor may declare"):
        _declare(deps, ref, c1, ONE, "none")
