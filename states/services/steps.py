"""The steps an audit can take next, for the stages page, and taking one of them once.

Each step is one of the type's transitions from where the audit is (``states.rules.steps``),
with what blocks it now, whether the person looking may take it, and whether it asks for a
reason. Taking one fires it exactly as ``oscp audit fire`` does (``audits.fire_loaded`` in
one write), after two checks a page needs. The person must hold one of the step's roles, or
it is ``PermissionDenied`` (a 403, never a form to retype). And a form carries the audit's
version as the page showed it: if that step was already taken by this person since (a double
click, a form sent twice) it is not taken again and the earlier firing is returned; if the
audit has moved to another state since, someone else moved it (``ConcurrencyConflict``);
changes to its data alone (a return submitted) do not stop the step, whose gates are checked
afresh.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from states.definitions.gate_names import ROLE_ALLOWED
from states.definitions.graph import expand_sources
from states.definitions.model import AuditTypeDefinition, TransitionDef
from states.errors import (
    ConcurrencyConflict,
    GateFailure,
    PermissionDenied,
    TransitionNotAllowed,
)
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.rules.gates import GateContext, failures
from states.rules.policy import either
from states.rules.steps import (
    ReasonAsked,
    is_step,
    is_withdrawal,
    reason_asked,
    waiting_on,
    who_may,
)
from states.services import board, queries
from states.services.audits import Fired, compiled_for, fire_loaded, gate_context
from states.services.deps import Deps
from states.services.writes import Writing, write_to_audit


@dataclass(frozen=True)
class StepView:
    trigger: str
    title: str
    dest_title: str | None
    waiting_on: tuple[GateFailure, ...]  # what blocks it now, for anyone who may take it
    may_take: bool  # whether the person looking holds one of its roles
    who_may: str  # "chair or coordinator"
    reason: ReasonAsked


@dataclass(frozen=True)
class Steps:
    reference: str
    title: str  # the audit type's
    state_title: str
    version: int  # as read: forms carry it, so a second send of one is known
    ended: bool
    steps: tuple[StepView, ...]
    withdrawal: StepView | None
    done: str | None  # the title of the step just taken, when asked for one


def steps_of(deps: Deps, *, audit: AuditKey, viewer: PersonKey, done: str | None = None) -> Steps:
    """What can happen next to the audit, as ``viewer`` may do it; ``done`` names a trigger
    just taken, whose title the page says."""
    status = queries.audit_status(deps, audit=audit, as_person=viewer)
    definition = board.definition_of(deps, audit=status.reference)
    titles = {s.name: s.title for s in definition.states}
    views = [
        (transition, _view(transition, titles, step.blocked_by))
        for step in status.next_steps
        for transition in [_transition(definition, status.state, step.trigger)]
    ]
    return Steps(
        status.reference,
        status.title,
        status.state_title,
        status.version,
        status.state in definition.final_states,
        tuple(v for tr, v in views if is_step(definition, tr)),
        next((v for tr, v in views if is_withdrawal(definition, tr)), None),
        next((t.title for t in definition.transitions if t.trigger == done), None),
    )


def withdrawal_of(deps: Deps, *, audit: AuditKey, viewer: PersonKey) -> Steps:
    """The audit's steps for its withdrawal page: only for those who may withdraw it."""
    found = steps_of(deps, audit=audit, viewer=viewer)
    if found.withdrawal is not None and not found.withdrawal.may_take:
        raise PermissionDenied(
            f"On audit {found.reference} only the {found.withdrawal.who_may} may withdraw it."
        )
    return found


@dataclass(frozen=True)
class Taken:
    fired: Fired
    again: bool  # already taken by this person from the same page: not fired twice


def take_step(
    deps: Deps,
    *,
    audit: AuditKey,
    trigger: str,
    actor: PersonKey,
    reason: str | None,
    seen_version: int | None,
) -> Taken:
    """Fire ``trigger`` once for the page that showed the audit at ``seen_version``."""
    with write_to_audit(deps, audit=audit, actor=actor) as w:
        compiled = compiled_for(deps, w.store, w.row)
        try:
            context = gate_context(compiled, w.store, w.row, w.who, trigger=trigger, reason=reason)
        except TransitionNotAllowed as not_now:
            context, refused = None, not_now
        if context is not None:
            _require_role(context, w)
        earlier = _taken_since(w, trigger, seen_version)
        if earlier is not None:
            return Taken(earlier, again=True)
        if context is None:  # not from here, and not this form's own step taken before
            raise refused
        fired = fire_loaded(deps, w.store, w.row, w.who, trigger=trigger, reason=reason, now=w.now)
    return Taken(fired, again=False)


def _require_role(context: GateContext, w: Writing) -> None:
    """Lacking the step's role is no form error: nothing retyped would change it."""
    if failures(context, (ROLE_ALLOWED,)):
        allowed = either(who_may(context.transition))
        doing = context.transition.title[:1].lower() + context.transition.title[1:]
        raise PermissionDenied(
            f"On audit {w.row.reference} only the {allowed} may {doing}, and {w.who.name} is not."
        )


def _taken_since(w: Writing, trigger: str, seen: int | None) -> Fired | None:
    """The person's own firing of ``trigger`` since the page was read, if there is one;
    ``ConcurrencyConflict`` if anyone moved the audit to another state since."""
    if seen is None or seen == w.row.version:
        return None
    e = t.event
    since = w.connection.execute(
        select(e.c.version, e.c.trigger, e.c.actor_id, e.c.from_state, e.c.to_state)
        .where(e.c.audit_id == w.row.id, e.c.version > seen)
        .order_by(e.c.version)
    ).all()
    for version, fired, actor_id, from_state, to_state in since:
        if fired == trigger and actor_id == w.who.id:
            return Fired(w.row.reference, trigger, from_state, to_state, version)
    if seen > w.row.version or any(row.from_state != row.to_state for row in since):
        raise ConcurrencyConflict(audit=w.row.reference, expected_version=seen)
    return None


def _transition(definition: AuditTypeDefinition, state: str, trigger: str) -> TransitionDef:
    return next(
        tr
        for tr in definition.transitions
        if tr.trigger == trigger and state in expand_sources(definition, tr.sources)
    )


def _view(
    transition: TransitionDef, titles: dict[str, str], blocked: tuple[GateFailure, ...]
) -> StepView:
    return StepView(
        transition.trigger,
        transition.title,
        titles.get(transition.dest) if transition.dest else None,
        waiting_on(blocked),
        not any(f.gate == ROLE_ALLOWED for f in blocked),
        either(who_may(transition)),
        reason_asked(transition),
    )
