"""What a person still owes, for a coordinator removing them or one of their roles: audits
they chair, their agency's returns (as its audit lead) and its actions (as one of its leads).
Named by audit reference and number only, never by an action's words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, select

from states.persistence import tables as t
from states.persistence.action_plan import OWED, OWNER_ROLES
from states.persistence.facts import SqlAuditFacts
from states.persistence.store import Actor, AuditStore
from states.services import returns
from states.services.audits import compiled_for, tool_is_per_case
from states.services.deps import Deps


@dataclass(frozen=True, order=True)
class Duty:
    """One thing still in the person's name, for someone else to take on."""

    audit: str
    kind: Literal["chair", "return", "action"]
    detail: str


def open_duties(deps: Deps, c: Connection, person: Actor) -> set[Duty]:
    """What the person can still do that someone must do: audits they chair, their
    agency's returns (as its audit lead) and its actions (as one of its leads)."""
    if not person.active:
        return set()
    a = t.audit
    duties = {
        Duty(ref, "chair", "chairs the audit")
        for ref in c.execute(
            select(a.c.reference).where(a.c.lead_id == person.id, a.c.closed_at.is_(None))
        ).scalars()
    }
    if person.agency_id is None:
        return duties
    if "agency_lead" in person.roles:
        owed = _returns_owed(deps, c, person.agency_id)
        duties |= {Duty(ref, "return", "the agency's return") for ref in owed}
    if person.roles & OWNER_ROLES:
        found = c.execute(
            select(a.c.reference, t.action.c.number)
            .join(a, a.c.id == t.action.c.audit_id)
            .where(
                t.action.c.owner_agency_id == person.agency_id,
                t.action.c.status.in_(OWED),
                a.c.closed_at.is_(None),
            )
        ).all()
        duties |= {Duty(ref, "action", f"action {number}") for ref, number in found}
    return duties


def _returns_owed(deps: Deps, c: Connection, agency_id: int) -> list[str]:
    """Open audits whose returns are open now and still owed by the agency."""
    p = t.participation
    taking_part = (
        c.execute(
            select(t.audit.c.id)
            .join(p, p.c.audit_id == t.audit.c.id)
            .where(
                p.c.agency_id == agency_id, p.c.required.is_(True), t.audit.c.closed_at.is_(None)
            )
        )
        .scalars()
        .all()
    )
    store, owed = AuditStore(c), []
    for audit_id in taking_part:
        row = store.load_audit(audit_id)
        if not returns.returns_open(compiled_for(deps, store, row).definition, row.state):
            continue
        facts = SqlAuditFacts(
            c, row.id, round_=row.state_round, per_case=tool_is_per_case(deps, store, row)
        )
        if agency_id in {owing for owing, _, _ in facts.outstanding_agencies()}:
            owed.append(row.reference)
    return owed
