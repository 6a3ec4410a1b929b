"""The whole cycle through the services, on SQLite and PostgreSQL: every shipped audit type
goes from its initial state to 'closed' along the whole process (its main path), with every
gate met rather than skipped; a refused sign-off loops back through further assurance; and a
running audit keeps its definition.

(The demo's own walker, which ``oscp demo`` uses, is tested in tests/oscp_flow.)"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from states.clock import LONDON, FakeClock
from states.definitions.graph import main_path
from states.errors import GateBlocked
from states.rules.catalogue import Catalogue
from states.services import audits, queries, work
from states.services.deps import Deps
from tests.conftest import DEFINITIONS
from tests.support.driver import Driver
from tests.support.partnership import email, person_name
from tests.support.terms import record_terms

AUDIT_TYPES = sorted(p.stem for p in DEFINITIONS.glob("*.yaml"))


def _start(deps: Deps, audit_type: str) -> str:
    return audits.start_audit(
        deps,
        audit_type=audit_type,
        theme="Whole cycle",
        lead=email("chair"),
        actor=email("coordinator"),
    ).reference


@pytest.mark.parametrize("audit_type", AUDIT_TYPES)
def test_every_type_goes_to_closed(partnership: Deps, clock: FakeClock, audit_type: str) -> None:
    deps = partnership
    definition = deps.catalogue.current(audit_type).definition
    reference = _start(deps, audit_type)
    driver = Driver(deps, reference, started_on=clock.now().astimezone(LONDON).date())
    states = [definition.initial_state]
    for fired in driver.steps("closed"):
        assert fired.from_state == states[-1]
        states.append(fired.to_state)
        clock.advance(timedelta(days=3))
    assert states[-1] == "closed"
    assert len(states) >= 6, "the audit should go through the whole process, not a shortcut"
    history = queries.history(deps, audit=reference)
    moves = [(e.from_state, e.to_state) for e in history if e.from_state != e.to_state]
    assert [to for _, to in moves] == states
    assert [e.version for e in history] == list(range(1, len(history) + 1))
    assert (
        queries.audit_status(deps, audit=reference, as_person=email("coordinator")).next_steps == ()
    )


def test_refused_sign_off_loops_back_through_further_assurance(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = _start(deps, "mace")
    driver = Driver(deps, reference, started_on=clock.now().astimezone(LONDON).date())
    driver.advance("awaiting_sign_off")

    work.record_sign_off_decision(deps, audit=reference, actor=email("lhm"), decision="approve")
    work.record_sign_off_decision(
        deps,
        audit=reference,
        actor=email("lsp.health"),
        decision="refuse",
        comment="Evidence the health response to the concerns raised.",
    )
    with pytest.raises(GateBlocked) as blocked:
        audits.fire(deps, audit=reference, trigger="sign_off", actor=email("coordinator"))
    assert [f.gate for f in blocked.value.failures] == ["sign_off_quorum"]
    assert f"{person_name('lsp.health')} refused" in str(blocked.value)

    audits.fire(
        deps,
        audit=reference,
        trigger="request_further_assurance",
        actor=email("lsp.health"),
        reason="Health response not evidenced",
    )
    audits.fire(
        deps,
        audit=reference,
        trigger="resubmit_for_sign_off",
        actor=email("chair"),
        reason="Health evidence added to section 4",
    )
    # A new round: last round's approval and refusal no longer count.
    with pytest.raises(GateBlocked, match="0 of the 2 approvals"):
        audits.fire(deps, audit=reference, trigger="sign_off", actor=email("coordinator"))
    driver.advance("closed")
    status = queries.audit_status(deps, audit=reference, as_person=email("coordinator"))
    assert status.state == "closed"


def test_running_audit_keeps_its_definition_after_the_yaml_changes(
    partnership: Deps, tmp_path: Path
) -> None:
    deps = partnership
    reference = _start(deps, "mace")
    original = deps.catalogue.current("mace")
    edited_yaml = (
        (DEFINITIONS / "mace.yaml")
        .read_text()
        .replace(
            "gates: [terms_recorded]",
            "gates: [terms_recorded, all_returns_in]",
        )
    )
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "mace.yaml").write_text(edited_yaml)
    edited = Catalogue.from_directory(folder)
    assert edited.current("mace").content_hash != original.content_hash
    later = Deps(uow=deps.uow, catalogue=edited, clock=deps.clock)

    # The audit started under the old definition moves without the new gate...
    record_terms(later, reference)
    audits.fire(later, audit=reference, trigger="agree_terms_of_reference", actor=email("chair"))
    # ...while a new audit gets the new definition and its gate.
    newer = _start(later, "mace")
    with pytest.raises(GateBlocked, match="all_returns_in"):
        audits.fire(later, audit=newer, trigger="agree_terms_of_reference", actor=email("chair"))
    old = queries.audit_status(later, audit=reference, as_person=email("chair"))
    assert old.definition_hash == original.content_hash


def test_main_path_is_the_full_process() -> None:
    catalogue = Catalogue.from_directory(DEFINITIONS)
    definition = catalogue.current("mace").definition
    path = [s.dest for s in main_path(definition, definition.initial_state)]
    assert path[:3] == ["terms_of_reference_agreed", "sample_selected", "auditors_assigned"]
    assert "impact_monitoring" in path and path[-1] == "closed"
