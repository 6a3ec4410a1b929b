"""The reads behind a preview (``oscp_flow.rehearsal.preview``): whom an audit's status is read as,
which reminder rungs are still to come, and what the outbox holds for the audit.

A preview runs on a throw-away copy (``states.persistence.scratch``), so these read a copy's
rows; on the engine's own database they would change nothing either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from states.clock import as_utc
from states.persistence import tables as t
from states.persistence.vocabulary import LinkPurpose
from states.services.deps import Deps


@dataclass(frozen=True)
class QueuedMessage:
    at: datetime
    kind: str
    name: str
    email: str
    # The message's safe references (step, agency, dates), never free text (see Outbox).
    context: dict[str, Any]
    # A message with a return link asks for the recipient's agency's return: that agency.
    for_agency: str | None = None


def lead_of(deps: Deps, *, audit: str) -> int:
    """The person leading the audit with this reference."""
    with deps.uow(readonly=True) as uow:
        return int(
            uow.connection.execute(
                select(t.audit.c.lead_id).where(t.audit.c.reference == audit)
            ).scalar_one()
        )


def last_outbox_id(deps: Deps) -> int:
    """The newest outbox row's id, 0 when there is none: what was queued before now."""
    with deps.uow(readonly=True) as uow:
        found = uow.connection.execute(select(t.outbox.c.id).order_by(t.outbox.c.id.desc())).first()
    return 0 if found is None else int(found[0])


def pending_rungs(deps: Deps, *, audit: str) -> list[datetime]:
    """When the audit's reminder rungs not yet swept fall due, earliest first."""
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.reminder.c.due_at)
            .join(t.audit, t.audit.c.id == t.reminder.c.audit_id)
            .where(t.audit.c.reference == audit, t.reminder.c.processed_at.is_(None))
            .order_by(t.reminder.c.due_at)
        ).scalars()
        return [as_utc(due) for due in rows]


def queued_messages(deps: Deps, *, audit: str, after_outbox: int) -> list[QueuedMessage]:
    """The audit's messages queued after outbox row ``after_outbox``, with their recipients
    (and, for a return request, the agency it asks)."""
    o = t.outbox
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(o.c.created_at, o.c.kind, t.person.c.name, t.person.c.email, o.c.context)
            .add_columns(o.c.link_purpose, t.agency.c.name)
            .join(t.person, t.person.c.id == o.c.recipient_id)
            .outerjoin(t.agency, t.agency.c.id == t.person.c.agency_id)
            .join(t.audit, t.audit.c.id == o.c.audit_id)
            .where(t.audit.c.reference == audit, o.c.id > after_outbox)
        )
        return [
            QueuedMessage(
                as_utc(at),
                kind,
                name,
                email,
                json.loads(context),
                agency if purpose == LinkPurpose.RETURN else None,
            )
            for at, kind, name, email, context, purpose, agency in rows
        ]
