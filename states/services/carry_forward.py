"""Carrying unfinished actions into the next cycle of the same theme.

When an audit is closing (or has closed, or was withdrawn) with actions still open or in
progress, the coordinator carries them into the next audit of that theme: each becomes a new
action there, linked to the original, and the original is marked carried forward so the
closing audit's ``actions_complete`` gate passes. Both audits get a version bump and an event,
in one transaction; the link is unique, so an action is never carried twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from states.definitions.model import AuditTypeDefinition
from states.errors import InvalidInput
from states.persistence import action_plan as plan
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.rules.action_plan import OWED
from states.rules.policy import Permission, require
from states.services.actions import Writing, checked_due, insert_action
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.writes import conflicts_as_errors


@dataclass(frozen=True)
class CarriedForward:
    from_audit: str
    to_audit: str | None  # None when there was nothing to carry
    # (number on the audit they came from, number on the audit they went to)
    numbers: tuple[tuple[int, int], ...]


def carry_forward(
    deps: Deps,
    *,
    from_audit: AuditKey,
    actor: PersonKey,
    to_audit: AuditKey | None = None,
    due_on: date | None = None,
) -> CarriedForward:
    """Carry ``from_audit``'s open and in-progress actions into ``to_audit`` or, when none is
    named, into the earliest open audit of the same theme (case and spacing aside) started
    since. ``due_on`` gives them all a new due date; otherwise each keeps its own."""
    if due_on is not None:
        checked_due(deps, due_on)
    with deps.uow() as uow:
        store = AuditStore(uow.connection)
        who = store.load_actor(actor)
        require(
            who.roles,
            Permission.COORDINATE,
            refusal=f"Only a coordinator can carry actions into another audit, and {who.name} "
            "is not one.",
        )
        source = store.load_audit(from_audit)
        _check_closing(deps, store, source)
        named = None if to_audit is None else store.load_audit(to_audit)
        if named is not None and named.id == source.id:
            raise InvalidInput(
                f"Carry the actions of audit {source.reference} into another audit, not itself."
            )
        if not _unfinished(uow.connection, source.id):
            return CarriedForward(source.reference, None, ())
        target_id = named.id if named is not None else _next_cycle(uow.connection, source)
        source, target = _lock_both(store, source.id, target_id)
        now = deps.clock.now()
        with conflicts_as_errors(source.reference):
            numbers = _carry(deps, store, who, source, target, due_on=due_on, now=now)
            uow.commit()
    return CarriedForward(source.reference, target.reference, numbers)


def _carry(
    deps: Deps,
    store: AuditStore,
    who: Actor,
    source: AuditRow,
    target: AuditRow,
    *,
    due_on: date | None,
    now: datetime,
) -> tuple[tuple[int, int], ...]:
    _check_closing(deps, store, source)
    into_type = compiled_for(deps, store, target)
    if target.state in into_type.definition.final_states:
        raise InvalidInput(
            f"Audit {target.reference} is {target.state}; carry the actions into an open audit."
        )
    connection = store.connection
    into = Writing(
        connection,
        store,
        target,
        who,
        into_type.definition,
        into_type.stages,
        deps.calendar,
        now,
    )
    numbers = []
    for action in _unfinished(connection, source.id):
        copied = insert_action(
            into,
            text=action.recommendation,
            agency_id=action.owner_agency_id,
            due_on=due_on or action.due_on,
            status=action.status,
            carried_from=action.id,
        )
        connection.execute(
            update(t.action).where(t.action.c.id == action.id).values(status="carried_forward")
        )
        if action.deadline_id is not None:
            plan.finish_deadline(connection, action.deadline_id, at=now)
        numbers.append((int(action.number), copied))
    if numbers:
        count = f"{len(numbers)} action{'s' if len(numbers) != 1 else ''}"
        # A touch leaves closed_at alone, so a closed source keeps the moment it ended.
        store.touch(
            source,
            trigger="carry_forward_actions",
            actor_id=who.id,
            reason=f"{count} carried forward to {target.reference}",
            at=now,
        )
        store.touch(
            target,
            trigger="receive_carried_actions",
            actor_id=who.id,
            reason=f"{count} carried forward from {source.reference}",
            at=now,
        )
    return tuple(numbers)


def _check_closing(deps: Deps, store: AuditStore, source: AuditRow) -> AuditTypeDefinition:
    compiled = compiled_for(deps, store, source)
    if not compiled.stages.can_carry_forward(source.state):
        raise InvalidInput(
            f"Audit {source.reference} is '{source.state}'; carry its actions forward once it "
            "is closing or closed."
        )
    return compiled.definition


def _unfinished(connection: Connection, audit_id: int) -> Sequence[Row[Any]]:
    return connection.execute(
        select(t.action)
        .where(t.action.c.audit_id == audit_id, t.action.c.status.in_(OWED))
        .order_by(t.action.c.number)
    ).all()


def _same(theme: str) -> str:
    return " ".join(theme.casefold().split())


def _next_cycle(connection: Connection, source: AuditRow) -> int:
    # Compared here rather than with SQL lower(), which SQLite applies to ASCII only.
    started = select(t.audit.c.started_at).where(t.audit.c.id == source.id).scalar_subquery()
    candidates = connection.execute(
        select(t.audit.c.id, t.audit.c.theme)
        .where(
            t.audit.c.closed_at.is_(None),
            t.audit.c.id != source.id,
            t.audit.c.started_at >= started,
        )
        .order_by(t.audit.c.started_at, t.audit.c.id)
    )
    for audit_id, theme in candidates:
        if _same(theme) == _same(source.theme):
            return int(audit_id)
    raise InvalidInput(
        f"No open audit of the theme '{source.theme}' was started after {source.reference}; "
        "start the next cycle first, or name the audit to carry the actions into."
    )


def _lock_both(store: AuditStore, first: int, second: int) -> tuple[AuditRow, AuditRow]:
    # Always in id order, so two carries between the same audits cannot deadlock.
    rows = {key: store.load_audit(key, for_update=True) for key in sorted((first, second))}
    return rows[first], rows[second]
