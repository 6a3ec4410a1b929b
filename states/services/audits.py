"""Firing an audit's triggers: load, check gates, move, record — one commit. (Starting one is
``states.services.starting``.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from states.definitions.gate_names import SIGN_OFF_QUORUM, SIGN_OFF_REFUSED
from states.definitions.roles import RAISING_AGENCY_LEAD
from states.persistence import deadlines
from states.persistence.facts import SqlAuditFacts
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.rules.compiler import AuditModel, CompiledType
from states.rules.gates import GateContext
from states.rules.policy import Permission, roles_for
from states.services import messages, sign_off, unasked
from states.services.deps import Deps
from states.services.reopened_returns import reopen_last_visit
from states.services.starting import START_TRIGGER, Fired, new_reference, start_audit, started_by
from states.services.writes import write_to_audit

__all__ = [  # starting lives in its own module; callers still find it here
    "START_TRIGGER",
    "Fired",
    "fire",
    "new_reference",
    "start_audit",
    "started_by",
]
SIGN_OFF_GATES = frozenset({SIGN_OFF_QUORUM, SIGN_OFF_REFUSED})


def fire(
    deps: Deps,
    *,
    audit: AuditKey,
    trigger: str,
    actor: PersonKey,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Fired:
    """Fire one trigger; the state change and its event commit together or not at all."""
    # Who may fire it is the transition's own gates (its roles), checked as it fires.
    with write_to_audit(
        deps, audit=audit, actor=actor, expected_version=expected_version
    ) as writing:
        fired = fire_loaded(
            deps,
            writing.store,
            writing.row,
            writing.who,
            trigger=trigger,
            reason=reason,
            now=writing.now,
        )
    return fired


def compiled_for(deps: Deps, store: AuditStore, row: AuditRow) -> CompiledType:
    return deps.catalogue.by_hash(row.definition_hash, store.read_snapshot)


def roles_in_audit(deps: Deps, store: AuditStore, actor: Actor, row: AuditRow) -> frozenset[str]:
    """``actor``'s roles in the audit, as its definition grants them (an agency's leads on a
    type that agency raises: ``AuditStore.roles_in``)."""
    raised = compiled_for(deps, store, row).definition.raised_by_agency
    return store.roles_in(actor, row, raised_by_agency=raised)


def roles_allowed(
    deps: Deps, store: AuditStore, row: AuditRow, permission: Permission
) -> frozenset[str]:
    """The roles that hold ``permission`` in the audit, as a refusal names them: a raising
    agency's leads only where the type is one an agency raises."""
    held = roles_for(permission)
    if compiled_for(deps, store, row).definition.raised_by_agency:
        return held
    return held - {RAISING_AGENCY_LEAD}


def gate_context(
    compiled: CompiledType,
    store: AuditStore,
    row: AuditRow,
    actor: Actor,
    *,
    trigger: str,
    reason: str | None,
    per_case: Callable[[], bool] = lambda: False,
) -> GateContext:
    transition = compiled.transition(reference=row.reference, state=row.state, trigger=trigger)
    # Asked only of the steps sign-off decides: every other step pays nothing for it.
    deciding = sign_off.MEMBER_ROLE in transition.roles or bool(
        SIGN_OFF_GATES & set(transition.gates)
    )
    rule = sign_off.audit_rule(store.connection, compiled.definition, row.id) if deciding else None
    roles = store.roles_in(actor, row, raised_by_agency=compiled.definition.raised_by_agency)
    return GateContext(
        audit_reference=row.reference,
        audit_started_on=row.started_on,
        lead_id=row.lead_id,
        sign_off_round=row.state_round,
        actor_id=actor.id,
        actor_name=actor.name,
        actor_roles=sign_off.with_member_role(store.connection, rule, actor, roles),
        definition=compiled.definition,
        transition=transition,
        facts=SqlAuditFacts(
            store.connection,
            row.id,
            round_=row.state_round,
            per_case=per_case,
        ),
        reason=reason,
        sign_off=rule,
    )


def tool_is_per_case(deps: Deps, store: AuditStore, row: AuditRow) -> Callable[[], bool]:
    """Asked lazily: only the returns gate needs the tool, and most transitions don't."""

    def answer() -> bool:
        if row.tool_hash is None:
            return False
        tool = deps.catalogue.tool_by_hash(row.tool_hash, store.read_tool_snapshot)
        return tool.per_subject

    return answer


def _freeze_if_submitted(
    deps: Deps,
    store: AuditStore,
    row: AuditRow,
    actor: Actor,
    *,
    compiled: CompiledType,
    new_state: str,
    entered: bool,
    now: datetime,
) -> str | None:
    """Entering a signing-off state submits the report: the version submitted is frozen in
    this transaction (its ``report_written`` gate has passed). Returns the event's note."""
    if not entered or new_state not in compiled.stages.signing_off:
        return None
    # Imported here: the report's figures are read by services that import this module.
    from states.services.freezing import freeze_on_submission

    return freeze_on_submission(deps, store, row, actor, stages=compiled.stages, now=now)


def _noted(reason: str | None, note: str | None) -> str | None:
    if note is None:
        return reason
    return f"{reason} ({note})" if reason else note[0].upper() + note[1:]


def fire_loaded(
    deps: Deps,
    store: AuditStore,
    row: AuditRow,
    actor: Actor,
    *,
    trigger: str,
    reason: str | None,
    now: datetime,
) -> Fired:
    """Check the gates and move the audit, at ``now``: the write's one clock reading."""
    compiled = compiled_for(deps, store, row)
    context = gate_context(
        compiled,
        store,
        row,
        actor,
        trigger=trigger,
        reason=reason,
        per_case=tool_is_per_case(deps, store, row),
    )
    new_state = compiled.fire(AuditModel(row.reference, row.state), trigger, context)
    entered = not context.transition.internal
    # Known before the event is written, so the history notes whom nobody could ask.
    missed = unasked.on_entering(
        store.connection, compiled.definition, row, context.transition, new_state
    )
    frozen = _freeze_if_submitted(
        deps, store, row, actor, compiled=compiled, new_state=new_state, entered=entered, now=now
    )
    version = store.advance(
        row,
        to_state=new_state,
        trigger=trigger,
        actor_id=actor.id,
        reason=deps.recorded_reason(_noted(unasked.noted(reason, missed), frozen)),
        at=now,
        entered=entered,
        closed=new_state in compiled.definition.final_states,
    )
    if entered:
        deadlines.on_state_change(
            store.connection,
            compiled.definition,
            deps.calendar,
            audit_id=row.id,
            left=row.state,
            entered=new_state,
            new_round=version,
            at=now,
        )
    if entered and context.transition.reopens_returns:
        reopen_last_visit(store.connection, row, state=new_state, new_round=version, at=now)
    if compiled.stages.approves(row.state, trigger):
        sign_off.record_signed_off(store.connection, row.id, now)
    messages.after_transition(
        store.connection,
        compiled.definition,
        row,
        context.transition,
        stages=compiled.stages,
        new_state=new_state,
        new_round=version,
        at=now,
    )
    unasked.tell_coordinators(
        store.connection,
        compiled.definition,
        row,
        missed,
        new_state=new_state,
        new_round=version,
        at=now,
    )
    return Fired(row.reference, trigger, row.state, new_state, version)
