"""Deadlines follow the state: entering a state with a deadline opens one, leaving closes it.

A deadline belongs to one visit of a state (its ``round``), so work returned to a state after
further assurance gets a fresh time limit rather than an already-passed one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from states.definitions.model import AuditTypeDefinition, DeadlineDef
from states.persistence import calendar_entries
from states.persistence import tables as t
from states.rules.calendar import WorkingCalendar
from states.rules.reminders import Rung, ladder


def on_state_change(
    connection: Connection,
    definition: AuditTypeDefinition,
    calendar: WorkingCalendar,
    *,
    audit_id: int,
    left: str,
    entered: str,
    new_round: int,
    at: datetime,
) -> None:
    if definition.state(left).deadline is not None:
        met = select(t.deadline.c.id).where(
            t.deadline.c.audit_id == audit_id,
            t.deadline.c.state == left,
            t.deadline.c.met_at.is_(None),
        )
        # Rungs of a met deadline will never be sent: take them out of the sweep's index.
        connection.execute(
            update(t.reminder)
            .where(t.reminder.c.deadline_id.in_(met), t.reminder.c.processed_at.is_(None))
            .values(processed_at=at)
        )
        # Its calendar entry leaves the calendars of those still holding it.
        calendar_entries.end(connection, calendar_entries.for_deadlines(met), at=at)
        connection.execute(update(t.deadline).where(t.deadline.c.id.in_(met)).values(met_at=at))
    if entered in definition.final_states:  # closed or withdrawn: nothing more is asked
        calendar_entries.end(connection, calendar_entries.of_audit(audit_id), at=at)
    open_for(
        connection, definition, calendar, audit_id=audit_id, state=entered, round_=new_round, at=at
    )


def open_for(
    connection: Connection,
    definition: AuditTypeDefinition,
    calendar: WorkingCalendar,
    *,
    audit_id: int,
    state: str,
    round_: int,
    at: datetime,
) -> None:
    spec = definition.state(state).deadline
    if spec is None:
        return
    due = calendar.due_at(at, working_days=spec.working_days, calendar_days=spec.calendar_days)
    deadline_id = connection.execute(
        insert(t.deadline).returning(t.deadline.c.id),
        {
            "audit_id": audit_id,
            "state": state,
            "name": spec.name,
            "round": round_,
            "starts_at": at,
            "due_at": due,
        },
    ).scalar_one()
    schedule(
        connection,
        spec,
        calendar,
        deadline_id=deadline_id,
        audit_id=audit_id,
        due_at=due,
        opened_at=at,
    )


def schedule(
    connection: Connection,
    spec: DeadlineDef,
    calendar: WorkingCalendar,
    *,
    deadline_id: int,
    audit_id: int,
    due_at: datetime,
    opened_at: datetime,
) -> None:
    """Write the deadline's reminder rungs; the sweep picks them up when they fall due."""
    rungs = ladder(spec, due_at=due_at, opened_at=opened_at, calendar=calendar)
    insert_rungs(connection, rungs, deadline_id=deadline_id, audit_id=audit_id)


def insert_rungs(
    connection: Connection, rungs: Sequence[Rung], *, deadline_id: int, audit_id: int
) -> None:
    rows = [
        {
            "deadline_id": deadline_id,
            "audit_id": audit_id,
            "step": r.step,
            "kind": r.kind,
            "roles": ",".join(r.roles),
            "due_at": r.due_at,
        }
        for r in rungs
    ]
    if rows:
        connection.execute(insert(t.reminder), rows)
