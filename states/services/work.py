"""Writes to an audit's own data: participation, returns, cases, findings, sign-off, concerns.

Each write checks the actor's role, refuses closed audits, and touches the audit (version
bump plus an event row) in the same transaction, so every change is attributable and a gate
evaluated concurrently on stale facts is refused rather than passed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import Connection, and_, insert, select, update

from states import tables as t
from states.errors import AuditorConflicted, InvalidInput, NotFound
from states.services.audits import (
    _invite,
    compiled_for,
    conflicts_as_errors,
    fire_loaded,
)
from states.services.deps import Deps
from states.store import Actor, AuditRow, AuditStore
from states.uow import UnitOfWork

T = TypeVar("T")
Write = Callable[[UnitOfWork, AuditRow, Actor, datetime], T]


ORGANISERS = frozenset({"coordinator", "chair"})
FINDING_KINDS = ("strength", "gap", "concern")


def _write(
    deps: Deps,
    audit: str | int,
    actor: str | int,
    action: str,
    *,
    roles: frozenset[str],
    work: Write[T],
) -> T:
    with deps.uow() as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit, for_update=True)
        who = store.load_actor(actor)
        compiled = compiled_for(deps, store, row)
        if row.state in compiled.definition.final_states:
            raise InvalidInput(f"Audit {row.reference} is {row.state}; its records are closed.")
        if not store.roles_in(who, row) & roles:
            raise InvalidInput(
                f"On audit {row.reference} only the {_either(roles)} may "
                f"{action.replace('_', ' ')}, and {who.name} is not."
            )
        with conflicts_as_errors(row.reference):
            result = work(uow, row, who, deps.clock.now())
            store.advance(
                row,
                to_state=row.state,
                trigger=action,
                actor_id=who.id,
                reason=None,
                at=deps.clock.now(),
                entered=False,
            )
            uow.commit()
    return result


def _either(roles: Iterable[str]) -> str:
    names = sorted(r.replace("_", " ") for r in roles)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def invite_agencies(
    deps: Deps, *, audit: str | int, actor: str | int, agencies: Iterable[str]
) -> None:
    codes = list(agencies)
    _write(
        deps,
        audit,
        actor,
        "invite_agencies",
        roles=ORGANISERS,
        work=lambda uow, row, _who, _now: _invite(uow, row.id, codes),
    )


def _agency_id(connection: Connection, code: str) -> int:
    found = connection.execute(
        select(t.agency.c.id).where(t.agency.c.code == code)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("agency", code)
    return int(found)


def submit_return(deps: Deps, *, audit: str | int, actor: str | int, agency: str) -> None:
    """Mark an agency's return as submitted (the return's content arrives with the audit tools)."""

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> None:
        agency_id = _agency_id(uow.connection, agency)
        if "coordinator" not in who.roles and who.agency_id != agency_id:
            raise NotFound("participation", f"{row.reference}/{agency}")
        done = uow.connection.execute(
            update(t.participation)
            .where(t.participation.c.audit_id == row.id, t.participation.c.agency_id == agency_id)
            .values(return_status="submitted", submitted_at=now)
        )
        if done.rowcount != 1:
            raise NotFound("participation", f"{row.reference}/{agency}")

    _write(
        deps,
        audit,
        actor,
        "submit_return",
        roles=frozenset({"agency_lead", "coordinator"}),
        work=work,
    )


def add_case(
    deps: Deps,
    *,
    audit: str | int,
    actor: str | int,
    reference: str,
    first_intervention_on: date | None = None,
    last_intervention_on: date | None = None,
) -> None:
    if not reference or len(reference) > 40 or " " in reference:
        raise InvalidInput("A case reference is a pseudonymous code of up to 40 characters.")

    def work(uow: UnitOfWork, row: AuditRow, _who: Actor, _now: datetime) -> None:
        uow.connection.execute(
            insert(t.case),
            {
                "audit_id": row.id,
                "reference": reference,
                "first_intervention_on": first_intervention_on,
                "last_intervention_on": last_intervention_on,
            },
        )

    _write(deps, audit, actor, "add_case", roles=ORGANISERS, work=work)


def assign_auditor(
    deps: Deps, *, audit: str | int, actor: str | int, case: str, auditor: str | int
) -> None:
    """Refused outright when the auditor declared involvement in the case."""

    def work(uow: UnitOfWork, row: AuditRow, _who: Actor, _now: datetime) -> None:
        store = AuditStore(uow.connection)
        person = store.load_actor(auditor)
        if "auditor" not in person.roles:
            raise InvalidInput(f"{person.name} is not one of the partnership's auditors.")
        case_id = uow.connection.execute(
            select(t.case.c.id).where(t.case.c.audit_id == row.id, t.case.c.reference == case)
        ).scalar_one_or_none()
        if case_id is None:
            raise NotFound("case", case)
        declared = uow.connection.execute(
            select(t.conflict.c.id).where(
                and_(
                    t.conflict.c.person_id == person.id,
                    t.conflict.c.case_reference == case,
                )
            )
        ).first()
        if declared is not None:
            raise AuditorConflicted(auditor=person.name, case=case)
        uow.connection.execute(insert(t.assignment), {"case_id": case_id, "person_id": person.id})

    _write(deps, audit, actor, "assign_auditor", roles=ORGANISERS, work=work)


def record_finding(
    deps: Deps, *, audit: str | int, actor: str | int, kind: str, summary: str
) -> int:
    if kind not in FINDING_KINDS:
        raise InvalidInput(f"A finding is one of {', '.join(FINDING_KINDS)}.")

    def work(uow: UnitOfWork, row: AuditRow, _who: Actor, _now: datetime) -> int:
        return int(
            uow.connection.execute(
                insert(t.finding).returning(t.finding.c.id),
                {"audit_id": row.id, "kind": kind, "summary": summary},
            ).scalar_one()
        )

    return _write(deps, audit, actor, "record_finding", roles=ORGANISERS | {"auditor"}, work=work)


def moderate_finding(deps: Deps, *, audit: str | int, actor: str | int, finding_id: int) -> None:
    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> None:
        done = uow.connection.execute(
            update(t.finding)
            .where(t.finding.c.id == finding_id, t.finding.c.audit_id == row.id)
            .values(moderated_at=now, moderated_by=who.id)
        )
        if done.rowcount != 1:
            raise NotFound("finding", finding_id)

    _write(deps, audit, actor, "moderate_finding", roles=frozenset({"chair"}), work=work)


def record_sign_off_decision(
    deps: Deps, *, audit: str | int, actor: str | int, decision: str, comment: str | None = None
) -> None:
    """One decision per member per round; a refusal must say what assurance is needed."""
    if decision not in ("approve", "refuse"):
        raise InvalidInput("A sign-off decision is approve or refuse.")
    if decision == "refuse" and not (comment and comment.strip()):
        raise InvalidInput("Say what further assurance is needed when refusing sign-off.")

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> None:
        rule = compiled_for(deps, AuditStore(uow.connection), row).definition.sign_off
        if rule is None or not who.roles & set(rule.roles):
            raise InvalidInput(f"{who.name} is not among those who sign off this audit.")
        if rule.exclude_author and who.id == row.lead_id:
            raise InvalidInput("The report's author cannot sign off their own report.")
        uow.connection.execute(
            insert(t.decision),
            {
                "audit_id": row.id,
                "round": row.state_round,
                "person_id": who.id,
                "decision": decision,
                "comment": comment,
                "decided_at": now,
            },
        )

    roles = frozenset({"learning_hub_member", "statutory_partner"})
    _write(deps, audit, actor, f"record_{decision}", roles=roles, work=work)


def _fire_and_record(
    deps: Deps, audit: str | int, actor: str | int, *, trigger: str, reason: str, work: Write[T]
) -> T:
    """Fire an internal trigger (gates, roles, history) and record its data, in one commit."""
    with deps.uow() as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit, for_update=True)
        who = store.load_actor(actor)
        with conflicts_as_errors(row.reference):
            fire_loaded(deps, store, row, who, trigger=trigger, reason=reason)
            result = work(uow, row, who, deps.clock.now())
            uow.commit()
    return result


def raise_immediate_risk(
    deps: Deps, *, audit: str | int, actor: str | int, agency: str, concern: str
) -> int:
    """Escalate to an agency for response and assurance, from any open state (framework)."""

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> int:
        return int(
            uow.connection.execute(
                insert(t.escalation).returning(t.escalation.c.id),
                {
                    "audit_id": row.id,
                    "agency_id": _agency_id(uow.connection, agency),
                    "raised_by": who.id,
                    "raised_at": now,
                    "concern": concern,
                },
            ).scalar_one()
        )

    return _fire_and_record(
        deps, audit, actor, trigger="raise_immediate_risk", reason=concern, work=work
    )


def record_assurance(
    deps: Deps, *, audit: str | int, actor: str | int, escalation_id: int, assurance: str
) -> None:
    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> None:
        done = uow.connection.execute(
            update(t.escalation)
            .where(
                t.escalation.c.id == escalation_id,
                t.escalation.c.audit_id == row.id,
                t.escalation.c.assured_at.is_(None),
            )
            .values(assured_at=now, assured_by=who.id, assurance=assurance)
        )
        if done.rowcount != 1:
            raise NotFound("open escalation", escalation_id)

    _fire_and_record(deps, audit, actor, trigger="record_assurance", reason=assurance, work=work)
