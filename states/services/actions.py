"""Action plans: a signed-off report's recommendations become actions owned by agencies.

The chair or coordinator adds each action with its owner agency and due date; the owner
agency's lead or strategic lead records progress and submits evidence of impact; a learning
hub member or the coordinator accepts it or sends it back with a reason. The audit stays in
impact monitoring until every action is finished (the ``actions_complete`` gate), and actions
still open when an audit closes are carried into the next audit of the same theme.

Every write locks the audit, bumps its version and appends an event, like every other write
to an audit's data. Events name the action by number and owner: the recommendation, the
evidence and reviewers' reasons stay on the action, out of the history and out of messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, func, insert, select, update

from states.clock import LONDON, as_utc_or_none
from states.definitions.model import AuditTypeDefinition
from states.errors import InvalidInput, NotFound, PermissionDenied
from states.persistence import action_plan as plan
from states.persistence import tables as t
from states.persistence import tokens
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.rules.action_plan import (
    MOVES,
    OUTSTANDING,
    OWNER_ROLES,
    REVIEWER_ROLES,
    STATUSES,
    ladder_for,
)
from states.rules.calendar import WorkingCalendar, close_of_business
from states.rules.policy import Permission, allows, require
from states.rules.stages import Stages
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.writes import write_to_audit

T = TypeVar("T")
MAX_TEXT = 4000
WORDS: dict[str, str] = {
    "open": "open",
    "in_progress": "in progress",
    "evidence_submitted": "awaiting review of its evidence",
    "accepted": "accepted",
    "carried_forward": "carried forward",
    "withdrawn": "withdrawn",
}
_TRIGGERS: dict[tuple[str, str], str] = {
    ("open", "in_progress"): "start_action",
    ("open", "evidence_submitted"): "submit_action_evidence",
    ("in_progress", "evidence_submitted"): "submit_action_evidence",
    ("evidence_submitted", "accepted"): "accept_action_evidence",
    ("evidence_submitted", "in_progress"): "refuse_action_evidence",
}


@dataclass(frozen=True)
class Writing:
    """One write to an audit's action plan, inside its locked transaction."""

    connection: Connection
    store: AuditStore
    row: AuditRow
    who: Actor
    definition: AuditTypeDefinition
    stages: Stages
    calendar: WorkingCalendar
    now: datetime


@dataclass(frozen=True)
class _Action:
    id: int
    number: int
    status: str
    owner_agency_id: int
    owner: str
    deadline_id: int
    evidence_by: int | None
    due_on: date

    def about(self) -> plan.ActionAbout:
        return plan.ActionAbout(
            self.id, self.number, self.owner_agency_id, close_of_business(self.due_on)
        )


def write_actions(
    deps: Deps, audit: AuditKey, actor: PersonKey, work: Callable[[Writing], tuple[T, str, str]]
) -> T:
    """Run ``work`` on the locked audit; it returns its result, the event's trigger and a
    reason that quotes no free text. Audits that have ended take no more writes here."""
    with write_to_audit(deps, audit=audit, actor=actor, open_only=True) as w:
        compiled = compiled_for(deps, w.store, w.row)
        writing = Writing(
            w.connection,
            w.store,
            w.row,
            w.who,
            compiled.definition,
            compiled.stages,
            deps.calendar,
            w.now,
        )
        result, trigger, reason = work(writing)
        w.touch(trigger, reason)
    return result


def checked_text(text: str, what: str) -> str:
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise InvalidInput(f"Write the {what} in 1 to {MAX_TEXT:,} characters.")
    return text


def checked_due(deps: Deps, due_on: date) -> date:
    if due_on < deps.clock.now().astimezone(LONDON).date():
        raise InvalidInput("An action's due date must be today or later; choose a later date.")
    return due_on


def _organiser(w: Writing, doing: str) -> None:
    require(
        w.store.roles_in(w.who, w.row),
        Permission.ORGANISE,
        refusal=f"On audit {w.row.reference} only the chair or coordinator may {doing}, "
        f"and {w.who.name} is not.",
    )


def may_add_actions(deps: Deps, *, audit: AuditKey, as_person: PersonKey) -> bool:
    """Whether the person may add actions to the audit now: its chair or coordinator, once
    its report is signed off and while it is open."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        stages = compiled_for(deps, store, row).stages
        return bool(
            allows(store.roles_in(store.load_actor(as_person), row), Permission.ORGANISE)
            and row.state in stages.after_sign_off
        )


def add_action(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    recommendation: str,
    owner: str,
    due_on: date,
) -> int:
    """Add one action to the audit's plan once its report is signed off; returns its number."""
    text = checked_text(recommendation, "recommendation")
    checked_due(deps, due_on)

    def work(w: Writing) -> tuple[int, str, str]:
        _organiser(w, "add actions")
        if w.row.state not in w.stages.after_sign_off:
            raise InvalidInput(
                f"Audit {w.row.reference} is '{w.row.state}'; add actions once its report "
                "has been signed off."
            )
        agency_id, agency = _agency(w.connection, owner)
        number = insert_action(w, text=text, agency_id=agency_id, due_on=due_on)
        return number, "add_action", f"Action {number} added for {agency}, due {due_on}"

    return write_actions(deps, audit, actor, work)


def insert_action(
    w: Writing,
    *,
    text: str,
    agency_id: int,
    due_on: date,
    status: str = "open",
    carried_from: int | None = None,
) -> int:
    """The next number on the audit's plan, with its own deadline and reminder rungs."""
    number = 1 + int(
        w.connection.execute(
            select(func.coalesce(func.max(t.action.c.number), 0)).where(
                t.action.c.audit_id == w.row.id
            )
        ).scalar_one()
    )
    deadline_id = plan.open_deadline(
        w.connection,
        w.calendar,
        schedule=ladder_for(w.definition),
        audit_id=w.row.id,
        number=number,
        due_on=due_on,
        at=w.now,
    )
    action_id = w.connection.execute(
        insert(t.action).returning(t.action.c.id),
        {
            "audit_id": w.row.id,
            "number": number,
            "recommendation": text,
            "owner_agency_id": agency_id,
            "due_on": due_on,
            "status": status,
            "carried_from_action_id": carried_from,
            "deadline_id": deadline_id,
            "created_by": w.who.id,
            "created_at": w.now,
        },
    ).scalar_one()
    about = plan.ActionAbout(int(action_id), number, agency_id, close_of_business(due_on))
    plan.tell_owners(w.connection, w.row, about, kind="action_assigned", at=w.now)
    return number


def _agency(connection: Connection, code: str) -> tuple[int, str]:
    found = connection.execute(
        select(t.agency.c.id, t.agency.c.name).where(t.agency.c.code == code)
    ).first()
    if found is None:
        raise NotFound("agency", code)
    return int(found.id), str(found.name)


def _load(w: Writing, number: int) -> _Action:
    found = w.connection.execute(
        select(
            t.action.c.id,
            t.action.c.number,
            t.action.c.status,
            t.action.c.owner_agency_id,
            t.agency.c.name,
            t.action.c.deadline_id,
            t.action.c.evidence_by,
            t.action.c.due_on,
        )
        .join(t.agency, t.agency.c.id == t.action.c.owner_agency_id)
        .where(t.action.c.audit_id == w.row.id, t.action.c.number == number)
    ).first()
    if found is None:
        raise NotFound("action", f"{w.row.reference} #{number}")
    return _Action(*found)


def set_status(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    number: int,
    status: str,
    evidence: str | None = None,
    reason: str | None = None,
) -> None:
    """Move an action on: the owner agency starts it and submits evidence; a learning hub
    member or the coordinator accepts the evidence or, with a reason, sends it back to in
    progress; the chair or coordinator withdraws it, with a reason."""
    write_actions(deps, audit, actor, status_work(number, status, evidence=evidence, reason=reason))


def status_work(
    number: int, status: str, *, evidence: str | None = None, reason: str | None = None
) -> Callable[[Writing], tuple[None, str, str]]:
    """The write that moves one action to ``status``, for ``write_actions`` to run."""
    if status not in STATUSES or status == "carried_forward":
        raise InvalidInput(
            "An action's status can be set to in_progress, evidence_submitted, accepted or "
            "withdrawn; carry actions forward with carry_forward."
        )

    def work(w: Writing) -> tuple[None, str, str]:
        action = _load(w, number)
        mover = MOVES.get((action.status, status))
        if mover is None:
            raise InvalidInput(
                f"Action {number} on audit {w.row.reference} is {WORDS[action.status]}, so it "
                f"cannot become {WORDS[status]}."
            )
        _may_move(w, action, mover, status)
        _apply(w, action, status, evidence=evidence, reason=reason)
        trigger = _TRIGGERS.get((action.status, status), "withdraw_action")
        return None, trigger, f"Action {number} ({action.owner}) {WORDS[status]}"

    return work


def accept_evidence(deps: Deps, *, audit: AuditKey, actor: PersonKey, number: int) -> None:
    set_status(deps, audit=audit, actor=actor, number=number, status="accepted")


def refuse_evidence(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, number: int, reason: str
) -> None:
    """The evidence does not yet show impact: back to the agency, in progress, with why."""
    set_status(deps, audit=audit, actor=actor, number=number, status="in_progress", reason=reason)


def _may_move(w: Writing, action: _Action, mover: str, status: str) -> None:
    who = w.who
    if mover == "owner":
        if who.agency_id != action.owner_agency_id or not who.roles & OWNER_ROLES:
            raise PermissionDenied(
                f"Only {action.owner}'s audit lead or strategic lead may update action "
                f"{action.number}, and {who.name} is not."
            )
    elif mover == "reviewer":
        if not who.roles & REVIEWER_ROLES:
            raise PermissionDenied(
                f"Only a learning hub member or the coordinator may review the evidence for "
                f"action {action.number}, and {who.name} is not."
            )
        if status == "accepted" and who.id == action.evidence_by:
            raise InvalidInput(
                f"{who.name} submitted the evidence for action {action.number}, so another "
                "learning hub member or the coordinator must accept it."
            )
    else:
        _organiser(w, f"withdraw action {action.number}")


def _apply(
    w: Writing, action: _Action, status: str, *, evidence: str | None, reason: str | None
) -> None:
    values: dict[str, Any] = {"status": status}
    if status == "evidence_submitted":
        values |= {
            "evidence": checked_text(evidence or "", "evidence of impact"),
            "evidence_by": w.who.id,
            "evidence_at": w.now,
        }
        plan.mark_deadline(w.connection, action.deadline_id, met_at=w.now)
        plan.tell_reviewers(w.connection, w.row, action.about(), at=w.now)
        # Nothing is owed while the evidence is reviewed; if it is sent back, the agency is
        # e-mailed new links, so these (a colleague's, an older reminder's) must not revive.
        tokens.revoke(
            w.connection,
            t.token.c.action_id == action.id,
            at=w.now,
            why=f"the evidence for action {action.number} has been sent; if more is asked "
            "for, a new e-mail brings a new link",
        )
    elif status == "accepted":
        values |= {"accepted_by": w.who.id, "accepted_at": w.now}
        plan.finish_deadline(w.connection, action.deadline_id, at=w.now)
    elif status == "withdrawn":
        values["review_note"] = checked_text(reason or "", "reason for withdrawing it")
        plan.finish_deadline(w.connection, action.deadline_id, at=w.now)
    elif action.status == "evidence_submitted":
        # Sent back: the agency is owed the reason, and its reminders start again.
        values["review_note"] = checked_text(reason or "", "reason the evidence is not yet enough")
        plan.mark_deadline(w.connection, action.deadline_id, met_at=None)
        plan.tell_owners(w.connection, w.row, action.about(), kind="action_returned", at=w.now)
    w.connection.execute(update(t.action).where(t.action.c.id == action.id).values(**values))


def change_due_date(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, number: int, due_on: date
) -> None:
    """A new due date agreed with the owner; reminders still to come are re-dated."""
    checked_due(deps, due_on)

    def work(w: Writing) -> tuple[None, str, str]:
        _organiser(w, "change an action's due date")
        action = _load(w, number)
        if action.status not in OUTSTANDING:
            raise InvalidInput(
                f"Action {number} on audit {w.row.reference} is {WORDS[action.status]}; "
                "only an unfinished action has a due date to change."
            )
        w.connection.execute(
            update(t.action).where(t.action.c.id == action.id).values(due_on=due_on)
        )
        plan.move_deadline(
            w.connection,
            w.calendar,
            schedule=ladder_for(w.definition),
            deadline_id=action.deadline_id,
            audit_id=w.row.id,
            due_on=due_on,
            at=w.now,
        )
        return None, "reschedule_action", f"Action {number} ({action.owner}) now due {due_on}"

    write_actions(deps, audit, actor, work)


@dataclass(frozen=True)
class ActionView:
    """An action as the people who may see it see it: the recommendation, owner, due date,
    progress, and where it came from or went to between cycles."""

    number: int
    recommendation: str
    owner: str
    owner_name: str
    due_on: date
    status: str
    evidence: str | None
    evidence_at: datetime | None
    accepted_by: str | None
    accepted_at: datetime | None
    review_note: str | None
    carried_from: str | None
    carried_to: str | None


def list_actions(deps: Deps, *, audit: AuditKey, as_person: PersonKey) -> list[ActionView]:
    """The audit's actions, in number order. Those overseeing the audit see every action;
    anyone else sees only those their own agency owns (none, without an agency)."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        viewer = store.load_actor(as_person)
        statement = _VIEWS
        if not allows(store.roles_in(viewer, row), Permission.OVERSEE_ACTIONS):
            if viewer.agency_id is None:
                return []
            statement = statement.where(t.action.c.owner_agency_id == viewer.agency_id)
        return [_view(r) for r in uow.connection.execute(statement, {"audit_id": row.id})]


def _views() -> Any:
    a = t.action
    source, source_audit = a.alias("source"), t.audit.alias("source_audit")
    copy, copy_audit = a.alias("copy"), t.audit.alias("copy_audit")
    return (
        select(
            a.c.number,
            a.c.recommendation,
            t.agency.c.code,
            t.agency.c.name,
            a.c.due_on,
            a.c.status,
            a.c.evidence,
            a.c.evidence_at,
            t.person.c.name.label("accepted_by"),
            a.c.accepted_at,
            a.c.review_note,
            source_audit.c.reference.label("from_audit"),
            source.c.number.label("from_number"),
            copy_audit.c.reference.label("to_audit"),
            copy.c.number.label("to_number"),
        )
        .join(t.agency, t.agency.c.id == a.c.owner_agency_id)
        .outerjoin(t.person, t.person.c.id == a.c.accepted_by)
        .outerjoin(source, source.c.id == a.c.carried_from_action_id)
        .outerjoin(source_audit, source_audit.c.id == source.c.audit_id)
        .outerjoin(copy, copy.c.carried_from_action_id == a.c.id)
        .outerjoin(copy_audit, copy_audit.c.id == copy.c.audit_id)
        .where(a.c.audit_id == bindparam("audit_id"))
        .order_by(a.c.number)
    )


# Built once, the audit bound as it runs: its four aliases cost more to make than to run.
_VIEWS = _views()


def _view(r: Any) -> ActionView:
    return ActionView(
        number=r.number,
        recommendation=r.recommendation,
        owner=r.code,
        owner_name=r.name,
        due_on=r.due_on,
        status=r.status,
        evidence=r.evidence,
        evidence_at=as_utc_or_none(r.evidence_at),
        accepted_by=r.accepted_by,
        accepted_at=as_utc_or_none(r.accepted_at),
        review_note=r.review_note,
        carried_from=_ref(r.from_audit, r.from_number),
        carried_to=_ref(r.to_audit, r.to_number),
    )


def _ref(audit: str | None, number: int | None) -> str | None:
    return None if audit is None else f"{audit} action {number}"
