"""Who may do a thing on an audit, asked of the policy one way for every page's read: the
audit, the person and their roles when they hold the permission; else one sentence naming
the roles that may and what they may do."""

from __future__ import annotations

import pytest

from states.errors import PermissionDenied
from states.persistence.store import AuditStore
from states.rules.policy import Permission
from states.services import audit_access, audits
from states.services.deps import Deps
from tests.support.partnership import email, person_name


def _start(deps: Deps) -> str:
    return audits.start_audit(
        deps, audit_type="mace", theme="Neglect", lead=email("chair"), actor=email("coordinator")
    ).reference


def test_the_chair_is_let_in_with_their_roles(partnership: Deps) -> None:
    reference = _start(partnership)
    with partnership.uow(readonly=True) as uow:
        allowed = audit_access.permitted(
            partnership,
            AuditStore(uow.connection),
            reference,
            email("chair"),
            may=Permission.ORGANISE,
            doing="read it",
        )
    assert allowed.row.reference == reference
    assert allowed.who.name == person_name("chair")
    assert "chair" in allowed.roles


def test_anyone_else_is_refused_in_one_sentence(partnership: Deps) -> None:
    reference = _start(partnership)
    refusal = (
        f"On audit {reference} only the chair or coordinator may read its deep dive, and "
        f"{person_name('auditor.one')} is not."
    )
    with partnership.uow(readonly=True) as uow, pytest.raises(PermissionDenied) as refused:
        audit_access.organised_audit(
            partnership,
            AuditStore(uow.connection),
            reference,
            email("auditor.one"),
            "read its deep dive",
        )
    assert str(refused.value) == refusal


def test_the_refusal_names_the_roles_of_the_permission_asked(partnership: Deps) -> None:
    reference = _start(partnership)
    with partnership.uow(readonly=True) as uow, pytest.raises(PermissionDenied) as refused:
        store = AuditStore(uow.connection)
        audit_access.require_in_audit(
            partnership,
            store,
            store.load_actor(email("lhm")),
            store.load_audit(reference),
            may=Permission.CONTRIBUTE_RETURNS,
            doing="complete case audits",
        )
    assert "may complete case audits" in str(refused.value)
    assert "chair or coordinator" not in str(refused.value)
