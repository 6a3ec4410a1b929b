"""The notification port: notices are queued in the outbox inside the transaction that caused
them, keyed so the same notice is never queued twice. Sending is the messaging layer's job.

A notice carries kinds and ids only; what people read is rendered from templates when it is
sent, so nothing typed into a return or a concern travels by this route.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, insert, select

from states import tables as t


def recipients(
    connection: Connection, *, roles: Iterable[str], lead_id: int, agency_id: int | None
) -> list[int]:
    """People to tell, by role: the chair is the audit's lead; agency roles mean that agency's."""
    wanted = set(roles)
    people: set[int] = {lead_id} if "chair" in wanted else set()
    partnership_wide = wanted - {"chair", "strategic_lead", "agency_lead"}
    agency_roles = wanted & {"strategic_lead", "agency_lead"}
    if partnership_wide:
        people.update(
            connection.execute(
                select(t.role.c.person_id).where(t.role.c.role.in_(partnership_wide))
            ).scalars()
        )
    if agency_roles and agency_id is not None:
        people.update(
            connection.execute(
                select(t.role.c.person_id)
                .join(t.person, t.person.c.id == t.role.c.person_id)
                .where(t.role.c.role.in_(agency_roles), t.person.c.agency_id == agency_id)
            ).scalars()
        )
    return sorted(people)


def queue(
    connection: Connection,
    *,
    kind: str,
    audit_id: int,
    subject_id: int,
    recipient_ids: Iterable[int],
    at: datetime,
) -> int:
    """Queue one notice per recipient; returns how many were new."""
    existing = set(
        connection.execute(
            select(t.outbox.c.key).where(
                t.outbox.c.audit_id == audit_id,
                t.outbox.c.kind == kind,
                t.outbox.c.subject_id == subject_id,
            )
        ).scalars()
    )
    rows = [
        {
            "key": f"{kind}:{audit_id}:{subject_id}:{person}",
            "kind": kind,
            "audit_id": audit_id,
            "recipient_id": person,
            "subject_id": subject_id,
            "created_at": at,
        }
        for person in recipient_ids
    ]
    new = [r for r in rows if r["key"] not in existing]
    if new:
        connection.execute(insert(t.outbox), new)
    return len(new)
