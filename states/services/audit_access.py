"""Whether someone may do a thing on an audit, asked of the policy the one way every page's
read asks it: their roles in the audit (as its definition grants them) against a
``Permission``, refused in one sentence that names the roles that may and what they may do.

The organisers' reads (``Permission.ORGANISE``: the chair and coordinator) are most of them,
so ``organised_audit`` asks that for a page that wants only the audit."""

from __future__ import annotations

from dataclasses import dataclass

from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.rules.policy import Permission, either, require
from states.services.audits import roles_allowed, roles_in_audit
from states.services.deps import Deps


@dataclass(frozen=True)
class Permitted:
    """The audit, the person it let in, and their roles in it (a page may offer more to a
    role that holds more, e.g. the coordinator's replacing a case)."""

    row: AuditRow
    who: Actor
    roles: frozenset[str]


def require_in_audit(
    deps: Deps, store: AuditStore, who: Actor, row: AuditRow, *, may: Permission, doing: str
) -> frozenset[str]:
    """``who``'s roles in the audit if they hold ``may``; else ``PermissionDenied``
    saying who may ``doing`` (a verb phrase: "record or agree its terms of reference")."""
    roles = roles_in_audit(deps, store, who, row)
    require(
        roles,
        may,
        refusal=f"On audit {row.reference} only the "
        f"{either(roles_allowed(deps, store, row, may))} may {doing}, and "
        f"{who.name} is not.",
    )
    return roles


def permitted(
    deps: Deps,
    store: AuditStore,
    audit: AuditKey,
    viewer: PersonKey,
    *,
    may: Permission,
    doing: str,
) -> Permitted:
    """The audit and ``viewer`` if they hold ``may`` in it (``require_in_audit``)."""
    row = store.load_audit(audit)
    who = store.load_actor(viewer)
    return Permitted(row, who, require_in_audit(deps, store, who, row, may=may, doing=doing))


def organised_audit(
    deps: Deps, store: AuditStore, audit: AuditKey, viewer: PersonKey, doing: str
) -> AuditRow:
    """The audit, if ``viewer`` organises it (its chair or a coordinator); else
    ``PermissionDenied``, naming what they were doing."""
    return permitted(deps, store, audit, viewer, may=Permission.ORGANISE, doing=doing).row
