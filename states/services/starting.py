"""Starting an audit: its reference, its snapshot of the definition and tool, the agencies
taking part, the first event, the chair told, and (where the first state is owed by the
agencies) their leads asked at once, in one commit. A request key makes a start idempotent.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from states.clock import LONDON
from states.errors import InvalidInput, NotFound
from states.persistence import deadlines
from states.persistence import tables as t
from states.persistence.ids import PersonKey
from states.persistence.store import AuditStore
from states.persistence.uow import UnitOfWork
from states.rules.compiler import CompiledType
from states.services import messages, raising, unasked
from states.services.deps import Deps

# Crockford's alphabet: no I, L, O or U, so a reference read aloud or retyped stays right.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
START_TRIGGER = "start"


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
        invite(uow, audit_id, invited)
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


def invite(uow: UnitOfWork, audit_id: int, codes: Iterable[str]) -> None:
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
