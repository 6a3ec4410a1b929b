"""Deadlines follow the state: entering a state with a deadline opens one, leaving closes it.

A deadline belongs to one visit of a state (its ``round``), so work returned to a state after
further assurance gets a fresh time limit rather than an already-passed one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, update

from states import tables as t
from states.calendar import WorkingCalendar
from states.definition import AuditTypeDefinition


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
        connection.execute(
            update(t.deadline)
            .where(
                t.deadline.c.audit_id == audit_id,
                t.deadline.c.state == left,
                t.deadline.c.met_at.is_(None),
            )
            .values(met_at=at)
        )
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
    connection.execute(
        insert(t.deadline).values(
            audit_id=audit_id,
            state=state,
            name=spec.name,
            round=round_,
            starts_at=at,
            due_at=due,
        )
    )
