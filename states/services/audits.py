"""Starting audits and firing their triggers: load, check gates, move, record — one commit."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from states.clock import LONDON
from states.definitions.gate_names import SIGN_OFF_QUORUM, SIGN_OFF_REFUSED
from states.definitions.roles import RAISING_AGENCY_LEAD
from states.errors import InvalidInput, NotFound
from states.persistence import deadlines
from states.persistence import tables as t
from states.persistence.facts import SqlAuditFacts
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.rules.compiler import AuditModel, CompiledType
from states.rules.gates import GateContext
from states.rules.policy import Permission, roles_for
from states.services import messages, raising, sign_off, unasked
from states.services.deps import Deps
from states.services.reopened_returns import reopen_last_visit
from states.services.writes import write_to_audit

# Crockford's alphabet: no I, L, O or U, so a reference read aloud or retyped stays right.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
START_TRIGGER = "start"
SIGN_OFF_GATES = frozenset({SIGN_OFF_QUORUM, SIGN_OFF_REFUSED})


@dataclass(frozen=True)
class Fired:
    reference: str
    trigger: str
    from_state: str
    to_state: str
    version: int
    # Starting: the agencies or settings taking part that nobody can be asked for a return
    # (no active agency lead), by name.
    unasked: tuple[str, ...] = ()


def new_reference() -> str:
    """Opaque: says nothing about the theme, the agencies or the cases."""
    return "AUD-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def start_audit(
    deps: Deps,
    *,
    audit_type: str,
    theme: str,
    lead: PersonKey,
    actor: PersonKey,
    agencies: Sequence[str] = (),
    started_on: date | None = None,
    request_key: str | None = None,
) -> Fired:
    """Start an audit. With ``request_key`` (a flow run id, say) the start is idempotent: a
    retry of the same request returns the audit it made rather than making another."""
    if request_key is not None:
        earlier = started_by(deps, request_key)
        if earlier is not None:
            return earlier
    try:
        return _start(
            deps,
            audit_type=audit_type,
            theme=theme,
            lead=lead,
            actor=actor,
            agencies=agencies,
            started_on=started_on,
            request_key=request_key,
        )
    except IntegrityError:
        # Two deliveries of one request raced; the other committed first.
        earlier = None if request_key is None else started_by(deps, request_key)
        if earlier is None:
            raise
        return earlier


def started_by(deps: Deps, request_key: str) -> Fired | None:
    with deps.uow(readonly=True) as uow:
        row = uow.connection.execute(
            select(t.audit.c.id, t.audit.c.reference, t.event.c.to_state)
            .join(t.event, t.event.c.audit_id == t.audit.c.id)
            .where(t.audit.c.request_key == request_key, t.event.c.version == 1)
        ).first()
        if row is None:
            return None
        names = tuple(unasked.unasked(uow.connection, row.id))
    return Fired(row.reference, START_TRIGGER, "", row.to_state, 1, names)


def _start(
    deps: Deps,
    *,
    audit_type: str,
    theme: str,
    lead: PersonKey,
    actor: PersonKey,
    agencies: Sequence[str],
    started_on: date | None,
    request_key: str | None,
) -> Fired:
    compiled = deps.catalogue.current(audit_type)
    theme = theme.strip()
    if not theme or len(theme) > 200:
        raise InvalidInput("Give the audit a theme of 1 to 200 characters.")
    now = deps.clock.now()
    with deps.uow() as uow:
        store = AuditStore(uow.connection)
        starter = store.load_actor(actor)
        invited = raising.agencies_for(uow.connection, compiled.definition, starter, agencies)
        lead_person = store.load_actor(lead)
        raising.check_lead(starter, lead_person)
        if not lead_person.active:
            raise InvalidInput(
                f"{lead_person.name} has been removed from the directory, so cannot lead an "
                "audit; choose someone else as its lead."
            )
        _save_snapshot(store, compiled, now)
        tool = deps.catalogue.tool(audit_type)
        if tool is not None:
            store.save_tool_snapshot(
                content_hash=tool.content_hash(),
                tool=tool.tool,
                text=tool.canonical_json(),
                at=now,
            )
        reference = new_reference()
        initial = compiled.definition.initial_state
        audit_id = uow.connection.execute(
            insert(t.audit).returning(t.audit.c.id),
            {
                "reference": reference,
                "audit_type": audit_type,
                "theme": theme,
                "definition_hash": compiled.content_hash,
                "tool_hash": None if tool is None else tool.content_hash(),
                "state": initial,
                "version": 1,
                "state_round": 1,
                "lead_id": lead_person.id,
                "started_on": started_on or now.astimezone(LONDON).date(),
                "started_at": now,
                "state_entered_at": now,
                "closed_at": None,
                "request_key": request_key,
            },
        ).scalar_one()
        _invite(uow, audit_id, invited)
        names = tuple(unasked.unasked(uow.connection, audit_id))
        store.record_event(
            audit_id=audit_id,
            reference=reference,
            version=1,
            at=now,
            actor_id=starter.id,
            trigger=START_TRIGGER,
            from_state="",
            to_state=initial,
            reason=deps.recorded_reason(unasked.noted(None, names)),
            definition_hash=compiled.content_hash,
        )
        messages.audit_started(
            uow.connection,
            compiled.definition,
            audit_id=audit_id,
            reference=reference,
            theme=theme,
            lead_id=lead_person.id,
            at=now,
        )
        if compiled.definition.raised_by_agency:
            messages.exception_raised(
                uow.connection,
                compiled.definition,
                audit_id=audit_id,
                reference=reference,
                theme=theme,
                told_already={lead_person.id, starter.id},
                agencies=invited,
                at=now,
            )
        deadlines.open_for(
            uow.connection,
            compiled.definition,
            deps.calendar,
            audit_id=audit_id,
            state=initial,
            round_=1,
            at=now,
        )
        _ask_at_start(store, compiled, audit_id, names, now)
        uow.commit()
    return Fired(reference, START_TRIGGER, "", initial, 1, names)


def _ask_at_start(
    store: AuditStore,
    compiled: CompiledType,
    audit_id: int,
    unasked_: tuple[str, ...],
    at: datetime,
) -> None:
    """An audit starting where the participants owe work (an exception report the agency
    writes as its return) asks them at once, as entering that state would."""
    definition = compiled.definition
    spec = definition.state(definition.initial_state).deadline
    if spec is None or spec.owed_by != "participants":
        return
    row = store.load_audit(audit_id)
    messages.ask_participants(
        store.connection,
        definition,
        row,
        stages=compiled.stages,
        state=row.state,
        round_=row.state_round,
        at=at,
    )
    unasked.tell_coordinators(
        store.connection,
        definition,
        row,
        unasked_,
        new_state=row.state,
        new_round=row.state_round,
        at=at,
    )


def _save_snapshot(store: AuditStore, compiled: CompiledType, now: datetime) -> None:
    store.save_snapshot(
        content_hash=compiled.content_hash,
        audit_type=compiled.audit_type,
        text=compiled.definition.canonical_json(),
        at=now,
    )


def _invite(uow: UnitOfWork, audit_id: int, codes: Iterable[str]) -> None:
    """Invite agencies by code; one already taking part is left as it is."""
    taking_part = set(
        uow.connection.execute(
            select(t.agency.c.code)
            .join(t.participation, t.participation.c.agency_id == t.agency.c.id)
            .where(t.participation.c.audit_id == audit_id)
        ).scalars()
    )
    for code in dict.fromkeys(codes):
        if code in taking_part:
            continue
        agency_id = uow.connection.execute(
            select(t.agency.c.id).where(t.agency.c.code == code)
        ).scalar_one_or_none()
        if agency_id is None:
            raise NotFound("agency", code)
        uow.connection.execute(
            insert(t.participation).values(audit_id=audit_id, agency_id=agency_id)
        )


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
