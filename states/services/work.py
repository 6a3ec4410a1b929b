"""Writes to an audit's own data: participation, returns, cases, findings, sign-off, concerns.

Each write checks the actor's role, refuses closed audits, and touches the audit (version
bump plus an event row) in the same transaction, so every change is attributable and a gate
evaluated concurrently on stale facts is refused rather than passed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import Connection, and_, delete, insert, select, update

from states.definitions.triggers import RECORD_ASSURANCE
from states.errors import (
    AlreadyDecided,
    AuditorConflicted,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from states.persistence import calendar_entries, deadlines, notices
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.persistence.vocabulary import BARRING
from states.rules.calendar import close_of_business
from states.rules.case_list import CaseCandidate, reference_problem
from states.rules.gates import Decision
from states.rules.policy import Permission, either, require
from states.services import sign_off
from states.services.audits import (
    compiled_for,
    fire_loaded,
    roles_allowed,
    roles_in_audit,
)
from states.services.deps import Deps
from states.services.starting import invite
from states.services.writes import Writing
from states.services.writes import write_to_audit as writing_to_audit

T = TypeVar("T")
Write = Callable[[UnitOfWork, AuditRow, Actor, datetime], T]

# Rows per INSERT when writing a list of cases (a few thousand bind parameters at most).
CASE_CHUNK = 1_000


def write_to_audit(
    deps: Deps,
    audit: AuditKey,
    actor: PersonKey,
    action: str,
    *,
    may: Permission,
    work: Write[T],
    reason: str | None = None,
    then: Callable[[Writing, int], None] | None = None,
) -> T:
    """Change an open audit's data as ``action``, if the actor's roles in it allow ``may``.
    ``then`` follows in the same transaction, given the version the change's event made:
    what it records comes after the change in the history (a concern a return raised)."""

    def allowed(w: Writing) -> None:
        require(
            roles_in_audit(deps, w.store, w.who, w.row),
            may,
            refusal=f"On audit {w.row.reference} only the "
            f"{either(roles_allowed(deps, w.store, w.row, may))} may "
            f"{action.replace('_', ' ')}, and {w.who.name} is not.",
        )

    with writing_to_audit(deps, audit=audit, actor=actor, may=allowed, open_only=True) as w:
        result = work(w.uow, w.row, w.who, w.now)
        version = w.touch(action, deps.recorded_reason(reason))
        if then is not None:
            then(w, version)
    return result


def invite_agencies(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, agencies: Iterable[str]
) -> None:
    codes = list(agencies)
    write_to_audit(
        deps,
        audit,
        actor,
        "invite_agencies",
        may=Permission.ORGANISE,
        work=lambda uow, row, _who, _now: invite(uow, row.id, codes),
    )


def add_case(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    reference: str,
    first_intervention_on: date | None = None,
    last_intervention_on: date | None = None,
    agencies: Iterable[str] = (),
) -> None:
    """Add a case to the sample by its pseudonymous reference, with the agencies involved."""
    check_case_reference(reference)
    codes = list(dict.fromkeys(agencies))

    def work(uow: UnitOfWork, row: AuditRow, _who: Actor, _now: datetime) -> None:
        insert_case(
            uow.connection,
            row.id,
            reference,
            first=first_intervention_on,
            last=last_intervention_on,
            agencies=codes,
        )

    write_to_audit(deps, audit, actor, "add_case", may=Permission.ORGANISE, work=work)


def check_case_reference(reference: str) -> None:
    problem = reference_problem(reference)
    if problem is not None:
        raise InvalidInput(f"{problem[0].upper()}{problem[1:]}.")


def insert_case(
    connection: Connection,
    audit_id: int,
    reference: str,
    *,
    first: date | None,
    last: date | None,
    agencies: Iterable[str],
) -> int:
    case = CaseCandidate(reference, tuple(agencies), first, last)
    return insert_cases(connection, audit_id, [case])[0]


def insert_cases(
    connection: Connection, audit_id: int, cases: Sequence[CaseCandidate]
) -> list[int]:
    """Write cases and the agencies involved with each, a chunk of rows per statement: a list
    of thousands of cases costs a few dozen round trips to the database, not one per row."""
    agency_ids = _agency_ids(connection, {code for case in cases for code in case.agencies})
    ids: list[int] = []
    for start in range(0, len(cases), CASE_CHUNK):
        ids.extend(
            _insert_chunk(connection, audit_id, cases[start : start + CASE_CHUNK], agency_ids)
        )
    return ids


def _insert_chunk(
    connection: Connection,
    audit_id: int,
    chunk: Sequence[CaseCandidate],
    agency_ids: dict[str, int],
) -> list[int]:
    rows = [
        {
            "audit_id": audit_id,
            "reference": case.reference,
            "first_intervention_on": case.first_intervention_on,
            "last_intervention_on": case.last_intervention_on,
        }
        for case in chunk
    ]
    connection.execute(insert(t.case), rows)
    # Ids by reference rather than RETURNING: SQLite does not promise RETURNING's order, so
    # SQLAlchemy would send an ordered RETURNING there one row at a time.
    references = [case.reference for case in chunk]
    matching = select(t.case.c.reference, t.case.c.id).where(
        t.case.c.audit_id == audit_id, t.case.c.reference.in_(references)
    )
    found = {reference: int(case_id) for reference, case_id in connection.execute(matching)}
    links = [
        {"case_id": found[case.reference], "agency_id": agency_ids[code]}
        for case in chunk
        for code in dict.fromkeys(case.agencies)
    ]
    if links:
        connection.execute(insert(t.case_agency), links)
    return [found[reference] for reference in references]


def _agency_ids(connection: Connection, codes: set[str]) -> dict[str, int]:
    found = {
        code: int(agency_id)
        for code, agency_id in connection.execute(
            select(t.agency.c.code, t.agency.c.id).where(t.agency.c.code.in_(sorted(codes)))
        )
    }
    unknown = sorted(codes - set(found))
    if unknown:
        raise NotFound("agency", unknown[0])
    return found


def assign_auditor(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, case: str, auditor: PersonKey
) -> None:
    """One of the partnership's auditors (the ``auditor`` role) takes a sampled case;
    refused outright when they declared involvement in it. They then declare either way
    (``states.services.auditors.declare``) before the assignments are confirmed."""

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
                    t.conflict.c.involvement.in_(BARRING),
                )
            )
        ).first()
        if declared is not None:
            raise AuditorConflicted(auditor=person.name, case=case)
        already = uow.connection.execute(
            select(t.assignment.c.id).where(
                t.assignment.c.case_id == case_id, t.assignment.c.person_id == person.id
            )
        ).first()
        if already is not None:
            raise InvalidInput(f"{person.name} is already assigned to case {case}.")
        uow.connection.execute(insert(t.assignment), {"case_id": case_id, "person_id": person.id})

    write_to_audit(deps, audit, actor, "assign_auditor", may=Permission.ORGANISE, work=work)


def record_sign_off_decision(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, decision: str, comment: str | None = None
) -> None:
    """One decision per member per round; a refusal must say what assurance is needed. The
    history says whose, and for which bodies ("Approved by NAME for BODY")."""
    with writing_to_audit(
        deps, audit=audit, actor=actor, may=_may_sign_off(deps), open_only=True
    ) as w:
        said = insert_sign_off_decision(
            deps, w.connection, w.row, w.who, decision=decision, comment=comment, now=w.now
        )
        w.touch(f"record_{decision}", deps.recorded_reason(said))


def _may_sign_off(deps: Deps) -> Callable[[Writing], None]:
    def allowed(w: Writing) -> None:
        definition = compiled_for(deps, w.store, w.row).definition
        rule = sign_off.audit_rule(w.connection, definition, w.row.id)
        roles = sign_off.with_member_role(w.connection, rule, w.who, w.store.roles_in(w.who, w.row))
        require(
            roles,
            Permission.SIGN_OFF,
            refusal=f"On audit {w.row.reference} only the members of the bodies that sign it "
            f"off may decide, and {w.who.name} is not one.",
        )

    return allowed


def insert_sign_off_decision(
    deps: Deps,
    connection: Connection,
    row: AuditRow,
    who: Actor,
    *,
    decision: str,
    comment: str | None,
    now: datetime,
) -> str:
    """The rules of a decision, wherever it comes from (command line or e-mailed link);
    returns what the history says of it."""
    try:
        chosen = Decision(decision)
    except ValueError:
        raise InvalidInput("A sign-off decision is approve or refuse.") from None
    if chosen == Decision.REFUSE and not (comment and comment.strip()):
        raise InvalidInput("Say what further assurance is needed when refusing sign-off.")
    definition = compiled_for(deps, AuditStore(connection), row).definition
    rule = sign_off.audit_rule(connection, definition, row.id)
    if rule is None or not sign_off.may_decide(connection, rule, who):
        raise PermissionDenied(f"{who.name} is not among those who sign off this audit.")
    if rule.exclude_author and who.id == row.lead_id:
        raise InvalidInput("The report's author cannot sign off their own report.")
    if has_decided(connection, row, who.id):
        raise AlreadyDecided(audit=row.reference)
    seats = sign_off.record(connection, row, who, rule, decision=chosen, comment=comment, now=now)
    # Their part is done: the sign-off deadline leaves their calendar (not the others').
    calendar_entries.release_person(connection, who.id, at=now, audit_id=row.id)
    return sign_off.decided_sentence(chosen, who, seats)


def has_decided(connection: Connection, row: AuditRow, person_id: int) -> bool:
    """Whether the person has decided on sign-off in the audit's current round (once only:
    a decision stands, whichever of their links or commands it came by)."""
    found = connection.execute(
        select(t.decision.c.id).where(
            t.decision.c.audit_id == row.id,
            t.decision.c.round == row.state_round,
            t.decision.c.person_id == person_id,
        )
    ).first()
    return found is not None


def touch(store: AuditStore, row: AuditRow, who: Actor, action: str, now: datetime) -> None:
    """Record a change to the audit's data: a version bump and an event, no state change."""
    store.touch(row, trigger=action, actor_id=who.id, reason=None, at=now)


def _fire_and_record(
    deps: Deps,
    audit: AuditKey,
    actor: PersonKey,
    *,
    trigger: str,
    reason: str,
    work: Write[T],
    then: Callable[[UnitOfWork], None] | None = None,
) -> T:
    """Fire an internal trigger (gates, roles, history) and record its data, in one commit;
    ``then`` joins the same transaction (an e-mailed link being used up, say)."""
    with writing_to_audit(deps, audit=audit, actor=actor) as w:
        fire_loaded(deps, w.store, w.row, w.who, trigger=trigger, reason=reason, now=w.now)
        result = work(w.uow, w.row, w.who, w.now)
        if then is not None:
            then(w.uow)
    return result


def raise_immediate_risk(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, agency: str, concern: str
) -> int:
    """Escalate to an agency for response and assurance, from any open state (framework);
    the concern's number. ``states.services.concerns.raise_concern`` also says who is told."""
    from states.services.concerns import raise_concern

    return raise_concern(deps, audit=audit, actor=actor, agency=agency, concern=concern).id


def record_assurance(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    escalation_id: int,
    assurance: str,
    then: Callable[[UnitOfWork], None] | None = None,
) -> None:
    from states.services import concerns

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> None:
        store = AuditStore(uow.connection)
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
        calendar_entries.end(uow.connection, calendar_entries.for_escalation(escalation_id), at=now)
        agency_id = uow.connection.execute(
            select(t.escalation.c.agency_id).where(t.escalation.c.id == escalation_id)
        ).scalar_one()
        # Everyone the concern would be told to now hears it is answered.
        plan = concerns.plan_for(uow.connection, concerns.rule_of(deps, store, row), row, agency_id)
        people = sorted({*plan.responders, *plan.others})
        notices.queue(
            uow.connection,
            kind="assurance_received",
            audit_id=row.id,
            subject_id=escalation_id,
            recipient_ids=people,
            at=now,
            context=notices.audit_context(
                row.reference, row.theme, agency=notices.agency_name(uow.connection, agency_id)
            ),
        )

    if not assurance.strip():
        raise InvalidInput("Record the assurance the agency gave.")
    _fire_and_record(
        deps,
        audit,
        actor,
        trigger=RECORD_ASSURANCE,
        reason=f"Assurance recorded on escalation {escalation_id}",
        work=work,
        then=then,
    )


def extend_deadline(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    until: date,
    reason: str,
) -> datetime:
    """The coordinator moves the open deadline to close of business on ``until``; its
    unsent reminders are worked out again from the new date. Returns the new due instant."""
    if not reason.strip():
        raise InvalidInput("Say why the deadline is being extended.")

    def work(uow: UnitOfWork, row: AuditRow, _who: Actor, now: datetime) -> datetime:
        definition = compiled_for(deps, AuditStore(uow.connection), row).definition
        spec = definition.state(row.state).deadline
        deadline_id = uow.connection.execute(
            select(t.deadline.c.id).where(
                t.deadline.c.audit_id == row.id,
                t.deadline.c.round == row.state_round,
                t.deadline.c.met_at.is_(None),
            )
        ).scalar_one_or_none()
        if spec is None or deadline_id is None:
            raise InvalidInput(f"Audit {row.reference} has no open deadline to extend.")
        due = close_of_business(until)
        if due <= now:
            raise InvalidInput("A deadline can only be extended to a date still to come.")
        uow.connection.execute(
            update(t.deadline).where(t.deadline.c.id == deadline_id).values(due_at=due)
        )
        calendar_entries.move(
            uow.connection, calendar_entries.for_deadlines([deadline_id]), due_at=due, at=now
        )
        uow.connection.execute(
            delete(t.reminder).where(
                t.reminder.c.deadline_id == deadline_id, t.reminder.c.processed_at.is_(None)
            )
        )
        deadlines.schedule(
            uow.connection,
            spec,
            deps.calendar,
            deadline_id=deadline_id,
            audit_id=row.id,
            due_at=due,
            opened_at=now,
        )
        return due

    return write_to_audit(
        deps,
        audit,
        actor,
        "extend_deadline",
        may=Permission.COORDINATE,
        work=work,
        reason=reason,
    )
