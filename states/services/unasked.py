"""Agencies and settings taking part that nobody can be asked for a return.

Return requests, reminders and fresh links go to an agency's active agency leads and to no
one else, so an agency or setting without one would be waited for in silence. Starting the
audit names each (``states.services.audits``), and when returns open the coordinators are
e-mailed once per audit with their names, and the opening's event in the audit's history
notes them. Names only: never a case reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, exists, select

from states.clock import as_utc
from states.definitions.model import AuditTypeDefinition, TransitionDef
from states.persistence import notices
from states.persistence import tables as t
from states.persistence.store import AuditRow

KIND = "returns_unasked"


def unasked(connection: Connection, audit_id: int) -> list[str]:
    """Names of the agencies or settings owing the audit a return, by name, that have no
    active agency lead. On a case audit only those its sampled cases name owe one."""
    p, person = t.participation, t.person
    has_lead = exists().where(
        person.c.agency_id == p.c.agency_id,
        person.c.active,
        t.role.c.person_id == person.c.id,
        t.role.c.role == "agency_lead",
    )
    statement = (
        select(t.agency.c.name)
        .join(p, p.c.agency_id == t.agency.c.id)
        .where(
            p.c.audit_id == audit_id,
            p.c.agency_id.in_(notices.owing_agencies(connection, audit_id)),
            ~has_lead,
        )
        .order_by(t.agency.c.name)
    )
    return [str(name) for name in connection.execute(statement).scalars()]


def noted(reason: str | None, names: Sequence[str]) -> str | None:
    """The reason an event keeps, with the unasked named after the person's own words."""
    if not names:
        return reason
    note = f"No active agency lead to ask for a return: {'; '.join(names)}."
    return f"{reason} ({note})" if reason else note


def on_entering(
    connection: Connection,
    definition: AuditTypeDefinition,
    row: AuditRow,
    transition: TransitionDef,
    new_state: str,
) -> list[str]:
    """Those entering ``new_state`` would ask for returns and cannot: none unless its
    deadline is owed by the participants (the same test that asks their leads)."""
    spec = None if transition.internal else definition.state(new_state).deadline
    if spec is None or spec.owed_by != "participants":
        return []
    return unasked(connection, row.id)


def tell_coordinators(
    connection: Connection,
    definition: AuditTypeDefinition,
    row: AuditRow,
    names: Sequence[str],
    *,
    new_state: str,
    new_round: int,
    at: datetime,
) -> None:
    """One e-mail per coordinator per audit, however many rounds of returns it opens."""
    if not names:
        return
    due = connection.execute(
        select(t.deadline.c.due_at).where(
            t.deadline.c.audit_id == row.id, t.deadline.c.round == new_round
        )
    ).scalar_one_or_none()
    context = notices.audit_context(
        row.reference,
        row.theme,
        state_title=definition.state(new_state).title,
        agencies="; ".join(names),
    )
    if due is not None:
        context["deadline_at"] = as_utc(due).isoformat()
    notices.queue(
        connection,
        kind=KIND,
        audit_id=row.id,
        subject_id=new_round,
        recipient_ids=notices.recipients(
            connection, roles=["coordinator"], lead_id=row.lead_id, agency_id=None
        ),
        at=at,
        context=context,
        key_prefix=f"{KIND}:{row.id}",
    )
