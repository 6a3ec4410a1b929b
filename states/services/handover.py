"""Handing a person's open duties to someone else, before or after they leave.

What moves, and to whom: the audits they chair (the other person becomes the lead), the cases
they audit (to another auditor, unless that auditor declared involvement in the case), their
agency's returns (the return link is sent to the other person, who must be an audit lead of
the same agency) and its actions (which belong to the agency: the other person holds them as
one of its leads). Each audit's change is a write to that audit, with its event; what could
not move is reported with why, and the handover itself is one row of the directory's log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select, update

from states.clock import as_utc
from states.definitions.roles import ACTION_OWNER_ROLES
from states.errors import AuditEngineError, InvalidInput
from states.persistence import notices
from states.persistence import tables as t
from states.persistence.directory_log import Change
from states.persistence.store import AuditStore
from states.persistence.vocabulary import BARRING, LinkPurpose
from states.rules.directory_log import Logged, Subject
from states.services import people
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.directory_write import directory_write, may_keep_directory, reason_given
from states.services.duties import Duty, case_of, open_duties
from states.services.people import Target
from states.services.writes import Writing, write_to_audit

DOING = "hand over a person's duties"


@dataclass(frozen=True)
class Handed:
    """One duty: whether it moved, and what was done or why it could not be."""

    duty: Duty
    moved: bool
    said: str


@dataclass(frozen=True)
class Handover:
    person: str
    to: str
    handed: tuple[Handed, ...]

    @property
    def moved(self) -> tuple[Handed, ...]:
        return tuple(h for h in self.handed if h.moved)

    @property
    def not_moved(self) -> tuple[Handed, ...]:
        return tuple(h for h in self.handed if not h.moved)


@dataclass(frozen=True)
class _Job:
    deps: Deps
    giver: Target
    receiver: Target
    actor: str | int
    reason: str


def handover(
    deps: Deps, *, person: str | int, to: str | int, actor: str | int, reason: str
) -> Handover:
    why = reason_given(reason)
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        may_keep_directory(AuditStore(c).load_actor(actor), DOING)
        giver, receiver = people.target(c, person), people.target(c, to)
        _may_receive(giver, receiver)
        duties = sorted(open_duties(deps, c, people.on_paper(c, giver.actor.id)))
    job = _Job(deps, giver, receiver, actor, why)
    handed = tuple(_hand(job, duty) for duty in duties)
    if any(h.moved for h in handed):
        _log(job, handed)
    return Handover(giver.actor.name, receiver.actor.name, handed)


def _may_receive(giver: Target, receiver: Target) -> None:
    if giver.actor.id == receiver.actor.id:
        raise InvalidInput("Hand the duties to someone else: that is the same person.")
    if not receiver.actor.active:
        raise InvalidInput(
            f"{receiver.actor.name} has been removed from the directory, so cannot take on "
            "anyone's duties; choose someone else."
        )


def _hand(job: _Job, duty: Duty) -> Handed:
    move: dict[str, Callable[[_Job, Duty], str]] = {
        "chair": _chair,
        "case": _case,
        "return": _return,
        "action": _action,
    }
    try:
        return Handed(duty, True, move[duty.kind](job, duty))
    except AuditEngineError as refused:
        return Handed(duty, False, str(refused))


def _write(job: _Job, duty: Duty, trigger: str, change: Callable[[Writing], None]) -> None:
    """One audit's part of the handover: a write to that audit, with its event."""

    def may(w: Writing) -> None:
        may_keep_directory(w.who, DOING)

    with write_to_audit(job.deps, audit=duty.audit, actor=job.actor, may=may, open_only=True) as w:
        change(w)
        w.touch(trigger, job.deps.recorded_reason(job.reason))


def _chair(job: _Job, duty: Duty) -> str:
    def change(w: Writing) -> None:
        if w.row.lead_id != job.giver.actor.id:
            raise InvalidInput(f"{job.giver.actor.name} no longer chairs audit {duty.audit}.")
        w.connection.execute(
            update(t.audit).where(t.audit.c.id == w.row.id).values(lead_id=job.receiver.actor.id)
        )

    _write(job, duty, "hand_over_chair", change)
    return f"{job.receiver.actor.name} chairs it now"


def _case(job: _Job, duty: Duty) -> str:
    case = case_of(duty)
    receiver = job.receiver.actor
    if "auditor" not in receiver.roles:
        raise InvalidInput(f"{receiver.name} is not one of the partnership's auditors.")

    def change(w: Writing) -> None:
        c = w.connection
        case_id = c.execute(
            select(t.case.c.id).where(t.case.c.audit_id == w.row.id, t.case.c.reference == case)
        ).scalar_one()
        if _declared(c, receiver.id, case):
            raise InvalidInput(
                f"{receiver.name} declared involvement in case {case}, so cannot audit it; "
                "assign an independent auditor."
            )
        a = t.assignment
        mine = (a.c.case_id == case_id) & (a.c.person_id == job.giver.actor.id)
        if c.execute(
            select(a.c.id).where(a.c.case_id == case_id, a.c.person_id == receiver.id)
        ).first():
            c.execute(delete(a).where(mine))
        else:
            c.execute(update(a).where(mine).values(person_id=receiver.id))

    _write(job, duty, "hand_over_case", change)
    return f"{receiver.name} audits it now"


def _declared(c: Connection, person_id: int, case: str) -> bool:
    found = c.execute(
        select(t.conflict.c.id).where(
            t.conflict.c.person_id == person_id,
            t.conflict.c.case_reference == case,
            t.conflict.c.involvement.in_(BARRING),
        )
    ).first()
    return found is not None


def _same_agency(job: _Job, roles: frozenset[str], needed: str) -> None:
    receiver = job.receiver.actor
    if receiver.agency_id != job.giver.actor.agency_id or not roles & receiver.roles:
        raise InvalidInput(
            f"{receiver.name} is not {needed} of the same agency; give them the role in that "
            "agency first, or hand it to someone who is."
        )


def _return(job: _Job, duty: Duty) -> str:
    """Send the agency's return link to the other audit lead, in this round of returns."""
    _same_agency(job, frozenset({"agency_lead"}), "an audit lead (agency lead)")
    deps = job.deps
    with deps.uow() as uow:
        c = uow.connection
        store = AuditStore(c)
        row = store.load_audit(duty.audit)
        definition = compiled_for(deps, store, row).definition
        due = c.execute(
            select(t.deadline.c.due_at).where(
                t.deadline.c.audit_id == row.id, t.deadline.c.round == row.state_round
            )
        ).scalar_one_or_none()
        extra = {} if due is None else {"deadline_at": as_utc(due).isoformat()}
        sent = notices.queue(
            c,
            kind="return_requested",
            audit_id=row.id,
            subject_id=row.state_round,
            recipient_ids=[job.receiver.actor.id],
            at=deps.clock.now(),
            context=notices.audit_context(
                row.reference, row.theme, state_title=definition.state(row.state).title, **extra
            ),
            link_purpose=LinkPurpose.RETURN,
        )
        uow.commit()
    if not sent:
        return f"{job.receiver.actor.name} had the return link already"
    return f"the return link is on its way to {job.receiver.actor.name}"


def _action(job: _Job, duty: Duty) -> str:
    # Actions belong to the agency, not to one person: its leads hold them by their role.
    _same_agency(job, ACTION_OWNER_ROLES, "an agency lead or strategic lead")
    return f"{job.receiver.actor.name} holds it as one of the agency's leads"


def _log(job: _Job, handed: tuple[Handed, ...]) -> None:
    def listed(moved: bool) -> str | None:
        found = [f"{h.duty.audit} {h.duty.kind}" for h in handed if h.moved is moved]
        return "; ".join(found) or None

    fields = {
        "handed to": (None, job.receiver.email),
        "moved": (None, listed(True)),
        "not moved": (None, listed(False)),
    }
    with directory_write(job.deps, actor=job.actor, reason=job.reason, doing=DOING) as edit:
        edit.log(
            Change(
                Subject.PERSON,
                Logged.HANDED_OVER,
                person_id=job.giver.actor.id,
                fields={k: v for k, v in fields.items() if v[1] is not None},
            )
        )
