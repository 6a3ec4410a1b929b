"""Auditors on an audit's cases (framework s.11: auditors "must not be directly involved in
the practice or management of the specific cases being audited").

The chair or coordinator assigns each sampled case to one of the partnership's auditors
(``work.assign_auditor``); each assigned auditor then declares, for that case, no involvement
or involvement in its practice or management. A declared involvement ends the assignment and
bars the auditor from the case for good (the declaration is kept by case reference, so it
holds in any audit that samples the case); the ``auditors_independent`` gate waits until
every assignment has a declaration. Asking every auditor to declare, rather than taking
silence as independence, is the partnership's own rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from states.errors import InvalidInput, NotFound, PermissionDenied
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.persistence.vocabulary import BARRING, Involvement
from states.rules.policy import Permission
from states.services.audit_access import require_in_audit
from states.services.deps import Deps
from states.services.work import assign_auditor, write_to_audit

__all__ = ["AuditorsView", "Declared", "Member", "assign_auditor", "declare", "list_auditors"]


@dataclass(frozen=True)
class Member:
    """One of the partnership's auditors, with the agency they belong to."""

    name: str
    email: str
    agency: str | None


@dataclass(frozen=True)
class Declared:
    """An auditor on a case: assigned (``involvement`` ``None`` until they declare), or
    barred from it by the involvement they declared (``assigned`` False)."""

    case: str
    auditor: Member
    involvement: Involvement | None
    assigned: bool


@dataclass(frozen=True)
class AuditorsView:
    audit: str
    cases: list[str]
    auditors: list[Declared]
    pool: list[Member]

    def on(self, case: str) -> list[Declared]:
        return [d for d in self.auditors if d.case == case]


def _choice(involvement: str) -> Involvement:
    try:
        return Involvement(involvement)
    except ValueError:
        options = ", ".join(i.value for i in Involvement)
        raise InvalidInput(f"Declare one of {options}.") from None


def declare(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, case: str, involvement: str
) -> Involvement:
    """The assigned auditor declares their involvement in ``case``, for themselves only.

    "none" may later become practice or management (something remembered); a declared
    involvement stands and ends the assignment, so the case needs another auditor."""
    chosen = _choice(involvement)

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> Involvement:
        c = uow.connection
        case_id, before = _assigned_case(c, row, who, case)
        if before is None:
            c.execute(
                insert(t.conflict),
                {
                    "person_id": who.id,
                    "case_reference": case,
                    "involvement": chosen,
                    "declared_at": now,
                },
            )
        elif before != chosen:
            c.execute(
                update(t.conflict)
                .where(t.conflict.c.person_id == who.id, t.conflict.c.case_reference == case)
                .values(involvement=chosen, declared_at=now)
            )
        if chosen in BARRING:
            c.execute(
                delete(t.assignment).where(
                    t.assignment.c.case_id == case_id, t.assignment.c.person_id == who.id
                )
            )
        return chosen

    said = (
        f"No involvement in case {case}"
        if chosen == Involvement.NONE
        else f"Involvement in the {chosen.value} of case {case}: the assignment ends"
    )
    return write_to_audit(
        deps,
        audit,
        actor,
        "declare_involvement",
        may=Permission.DECLARE_INVOLVEMENT,
        work=work,
        reason=said,
    )


def _assigned_case(
    c: Connection, row: AuditRow, who: Actor, case: str
) -> tuple[int, Involvement | None]:
    """The case's id and what the auditor declared on it so far, if they are assigned to it."""
    found = c.execute(
        select(t.case.c.id).where(t.case.c.audit_id == row.id, t.case.c.reference == case)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("case", case)
    mine = c.execute(
        select(t.assignment.c.id).where(
            t.assignment.c.case_id == found, t.assignment.c.person_id == who.id
        )
    ).first()
    if mine is None:
        raise PermissionDenied(
            f"Only the auditor assigned to case {case} declares their involvement in it, "
            f"and {who.name} is not assigned to it."
        )
    previous = c.execute(
        select(t.conflict.c.involvement).where(
            t.conflict.c.person_id == who.id, t.conflict.c.case_reference == case
        )
    ).scalar_one_or_none()
    if previous in BARRING:  # only by a seeded declaration: assignment would refuse it
        raise InvalidInput(f"{who.name} already declared involvement in case {case}.")
    return int(found), None if previous is None else Involvement(previous)


def list_auditors(
    deps: Deps, *, audit: AuditKey, as_person: PersonKey | None = None
) -> AuditorsView:
    """The audit's cases, who is on each and what they declared, and the auditor pool; with
    ``as_person``, only for one who may assign them (the chair or a coordinator)."""
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        store = AuditStore(c)
        row = store.load_audit(audit)
        if as_person is not None:
            _may_assign(deps, store, row, store.load_actor(as_person))
        cases = list(
            c.execute(
                select(t.case.c.reference)
                .where(t.case.c.audit_id == row.id)
                .order_by(t.case.c.reference)
            ).scalars()
        )
        return AuditorsView(row.reference, cases, _on_cases(c, row), _pool(c))


def _may_assign(deps: Deps, store: AuditStore, row: AuditRow, who: Actor) -> None:
    require_in_audit(deps, store, who, row, may=Permission.ORGANISE, doing="assign its auditors")


_MEMBER = (t.person.c.name, t.person.c.email, t.agency.c.name)


def _on_cases(c: Connection, row: AuditRow) -> list[Declared]:
    declared = t.conflict
    assigned = (
        select(t.case.c.reference, *_MEMBER, declared.c.involvement)
        .select_from(t.assignment)
        .join(t.case, t.case.c.id == t.assignment.c.case_id)
        .join(t.person, t.person.c.id == t.assignment.c.person_id)
        .outerjoin(t.agency, t.agency.c.id == t.person.c.agency_id)
        .outerjoin(
            declared,
            (declared.c.person_id == t.person.c.id)
            & (declared.c.case_reference == t.case.c.reference),
        )
        .where(t.case.c.audit_id == row.id)
    )
    barred = (
        select(t.case.c.reference, *_MEMBER, declared.c.involvement)
        .select_from(declared)
        .join(t.case, t.case.c.reference == declared.c.case_reference)
        .join(t.person, t.person.c.id == declared.c.person_id)
        .outerjoin(t.agency, t.agency.c.id == t.person.c.agency_id)
        .where(t.case.c.audit_id == row.id, declared.c.involvement.in_(BARRING))
    )
    found = [
        Declared(ref, Member(n, e, a), None if i is None else Involvement(i), True)
        for ref, n, e, a, i in c.execute(assigned)
    ]
    found += [
        Declared(ref, Member(n, e, a), Involvement(i), False)
        for ref, n, e, a, i in c.execute(barred)
        if not any(d.case == ref and d.auditor.email == e for d in found)
    ]
    return sorted(found, key=lambda d: (d.case, not d.assigned, d.auditor.name))


def _pool(c: Connection) -> list[Member]:
    rows = c.execute(
        select(*_MEMBER)
        .join(t.role, t.role.c.person_id == t.person.c.id)
        .outerjoin(t.agency, t.agency.c.id == t.person.c.agency_id)
        .where(t.role.c.role == "auditor", t.person.c.active)
        .order_by(t.person.c.name)
    )
    return [Member(n, e, a) for n, e, a in rows]
