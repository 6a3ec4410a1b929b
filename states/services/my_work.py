"""What one signed-in person has to do across the partnership's open audits: the cases they
are assigned to audit (each awaiting their declaration of involvement, or its case audit
open), the audits in moderation they audit, and the audits they chair.

Read for the person themselves only, so it asks no permission beyond being that person; what
each case and audit shows is its reference, stage and counts, never a return's words.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from states.errors import PermissionDenied
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.vocabulary import Involvement, ReturnStatus
from states.services.audits import compiled_for
from states.services.deps import Deps


@dataclass(frozen=True)
class CaseWork:
    """A case the person audits: what they declared (None until they do) and, while returns
    are open, how many of the case's agencies have submitted their return this round."""

    case: str
    declared: Involvement | None
    submitted: int
    owed: int


@dataclass(frozen=True)
class AuditWork:
    reference: str
    title: str  # the audit type's
    theme: str
    state_title: str
    collecting: bool  # returns (case audits) are open
    moderating: bool  # findings are being moderated
    cases: tuple[CaseWork, ...] = ()


@dataclass(frozen=True)
class MyWork:
    auditing: list[AuditWork]
    chairing: list[AuditWork]
    coordinator: bool

    @property
    def nothing(self) -> bool:
        return not (self.auditing or self.chairing)


@dataclass(frozen=True)
class Declaring:
    """The case an auditor is asked to declare their involvement in."""

    audit: str
    title: str
    theme: str
    case: str
    declared: Involvement | None


def my_work(deps: Deps, *, person: PersonKey) -> MyWork:
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        store = AuditStore(c)
        who = store.load_actor(person)
        if not who.active:
            return MyWork([], [], coordinator=False)
        by_audit: dict[int, list[CaseWork]] = {}
        for audit_id, case in _assigned(c, who):
            by_audit.setdefault(audit_id, []).append(case)
        auditing = [
            _audit_work(deps, store, store.load_audit(audit_id), tuple(cases))
            for audit_id, cases in by_audit.items()
        ]
        chaired = c.execute(
            select(t.audit.c.id)
            .where(t.audit.c.lead_id == who.id, t.audit.c.closed_at.is_(None))
            .order_by(t.audit.c.reference)
        ).scalars()
        chairing = [_audit_work(deps, store, store.load_audit(int(a))) for a in chaired]
        return MyWork(auditing, chairing, coordinator="coordinator" in who.roles)


def starts_at_board(deps: Deps, *, person: PersonKey) -> bool:
    """Where signing in lands: a coordinator keeps the whole programme (the board); anyone
    else starts at their own work."""
    with deps.uow(readonly=True) as uow:
        return "coordinator" in AuditStore(uow.connection).load_actor(person).roles


def declaring(deps: Deps, *, audit: AuditKey, case: str, as_person: PersonKey) -> Declaring:
    """The case, for the auditor assigned to it; anyone else is refused alike, whether or not
    the audit samples such a case."""
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        store = AuditStore(c)
        row = store.load_audit(audit)
        who = store.load_actor(as_person)
        assigned = c.execute(
            select(t.assignment.c.id)
            .join(t.case, t.case.c.id == t.assignment.c.case_id)
            .where(
                t.case.c.audit_id == row.id,
                t.case.c.reference == case,
                t.assignment.c.person_id == who.id,
            )
        ).first()
        if assigned is None or not who.active or "auditor" not in who.roles:
            raise PermissionDenied(
                f"Only the auditor assigned to case {case} declares their involvement in it, "
                f"and {who.name} is not assigned to it."
            )
        definition = compiled_for(deps, store, row).definition
        return Declaring(row.reference, definition.title, row.theme, case, _declared(c, who, case))


def _declared(c: Connection, who: Actor, case: str) -> Involvement | None:
    found = c.execute(
        select(t.conflict.c.involvement).where(
            t.conflict.c.person_id == who.id, t.conflict.c.case_reference == case
        )
    ).scalar_one_or_none()
    return None if found is None else Involvement(found)


def _audit_work(
    deps: Deps, store: AuditStore, row: AuditRow, cases: tuple[CaseWork, ...] = ()
) -> AuditWork:
    compiled = compiled_for(deps, store, row)
    return AuditWork(
        row.reference,
        compiled.definition.title,
        row.theme,
        compiled.definition.state(row.state).title,
        compiled.stages.collects_returns(row.state),
        compiled.stages.moderates(row.state),
        cases,
    )


def _assigned(c: Connection, who: Actor) -> list[tuple[int, CaseWork]]:
    """(audit id, case) for each open audit's case the person is assigned to, by reference."""
    a, case, declared = t.audit, t.case, t.conflict
    rows = c.execute(
        select(a.c.id, a.c.state_round, case.c.id, case.c.reference, declared.c.involvement)
        .select_from(t.assignment)
        .join(case, case.c.id == t.assignment.c.case_id)
        .join(a, a.c.id == case.c.audit_id)
        .outerjoin(
            declared,
            (declared.c.person_id == who.id) & (declared.c.case_reference == case.c.reference),
        )
        .where(t.assignment.c.person_id == who.id, a.c.closed_at.is_(None))
        .order_by(a.c.reference, case.c.reference)
    ).all()
    return [
        (
            int(audit_id),
            CaseWork(
                str(reference),
                None if involvement is None else Involvement(involvement),
                _submitted(c, int(case_id), int(round_)),
                _owed(c, int(audit_id), int(case_id)),
            ),
        )
        for audit_id, round_, case_id, reference, involvement in rows
    ]


def _submitted(c: Connection, case_id: int, round_: int) -> int:
    r = t.audit_return
    return int(
        c.execute(
            select(func.count())
            .select_from(r)
            .where(
                r.c.case_id == case_id,
                r.c.round == round_,
                r.c.status == ReturnStatus.SUBMITTED,
            )
        ).scalar_one()
    )


def _owed(c: Connection, audit_id: int, case_id: int) -> int:
    """The case's agencies that take part in the audit: each owes a return on it."""
    p = t.participation
    return int(
        c.execute(
            select(func.count())
            .select_from(t.case_agency)
            .join(p, p.c.agency_id == t.case_agency.c.agency_id)
            .where(t.case_agency.c.case_id == case_id, p.c.audit_id == audit_id)
        ).scalar_one()
    )
