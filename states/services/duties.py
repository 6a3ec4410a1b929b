"""What a person still owes, for a coordinator removing them or one of their roles: audits
they chair, cases they are assigned to audit, their agency's returns (as its audit lead) and
its actions (as one of its leads). Named by audit, case reference and number only, never by an
action's words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, exists, select

from states.persistence import tables as t
from states.persistence.facts import SqlAuditFacts
from states.persistence.store import Actor, AuditStore
from states.persistence.vocabulary import ReturnStatus
from states.rules.action_plan import OWED, OWNER_ROLES
from states.services.audits import compiled_for, tool_is_per_case
from states.services.deps import Deps

CASE = "case "  # a case duty's detail: "case REF"


@dataclass(frozen=True, order=True)
class Duty:
    """One thing still in the person's name, for someone else to take on."""

    audit: str
    kind: Literal["chair", "case", "return", "action"]
    detail: str


def case_of(duty: Duty) -> str:
    """The case reference a "case" duty names."""
    return duty.detail.removeprefix(CASE)


def open_duties(deps: Deps, c: Connection, person: Actor) -> set[Duty]:
    """What the person can still do that someone must do: audits they chair, cases they
    audit (as an auditor), their agency's returns (as its audit lead) and its actions (as
    one of its leads)."""
    if not person.active:
        return set()
    a = t.audit
    duties = {
        Duty(ref, "chair", "chairs the audit")
        for ref in c.execute(
            select(a.c.reference).where(a.c.lead_id == person.id, a.c.closed_at.is_(None))
        ).scalars()
    }
    if "auditor" in person.roles:
        duties |= {Duty(ref, "case", f"{CASE}{case}") for ref, case in cases_assigned(c, person.id)}
    if person.agency_id is None:
        return duties
    if "agency_lead" in person.roles:
        owed = returns_owed(deps, c, person.agency_id)
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


def cases_assigned(c: Connection, person_id: int) -> list[tuple[str, str]]:
    """(audit, case) of the open audits' cases the person is assigned to and has not yet
    submitted a return for."""
    a, case, r = t.audit, t.case, t.audit_return
    submitted = exists().where(r.c.case_id == case.c.id, r.c.status == ReturnStatus.SUBMITTED)
    found = c.execute(
        select(a.c.reference, case.c.reference)
        .select_from(t.assignment)
        .join(case, case.c.id == t.assignment.c.case_id)
        .join(a, a.c.id == case.c.audit_id)
        .where(t.assignment.c.person_id == person_id, a.c.closed_at.is_(None), ~submitted)
        .order_by(a.c.reference, case.c.reference)
    ).all()
    return [(str(ref), str(case_ref)) for ref, case_ref in found]


def returns_owed(deps: Deps, c: Connection, agency_id: int) -> list[str]:
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
        if not compiled_for(deps, store, row).stages.collects_returns(row.state):
            continue
        facts = SqlAuditFacts(
            c, row.id, round_=row.state_round, per_case=tool_is_per_case(deps, store, row)
        )
        if agency_id in {owing for owing, _, _ in facts.outstanding_agencies()}:
            owed.append(row.reference)
    return owed
