"""Who is told that an audit was withdrawn: its chair and the agencies taking part.

Withdrawal stops an audit before completion, from any stage. Those it was asking for work
hear of it once each, in one e-mail that never carries the reason (the reason is the
coordinator's words, kept in the audit's history, and may say why a case or an agency
mattered). Each agency taking part hears through its agency leads, whether or not it still
owed anything: it was told the audit concerned it.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from states.persistence import notices
from states.persistence import tables as t
from states.persistence.store import AuditRow


def withdrawal_told(connection: Connection, row: AuditRow) -> list[int]:
    """The chair and the active agency leads of every agency taking part, each once."""
    taking_part = select(t.participation.c.agency_id).where(t.participation.c.audit_id == row.id)
    leads = connection.execute(
        select(t.person.c.id)
        .join(t.role, t.role.c.person_id == t.person.c.id)
        .where(t.role.c.role == "agency_lead", t.person.c.agency_id.in_(taking_part))
    ).scalars()
    people = {row.lead_id, *leads}
    return sorted(notices.active_people(connection, people))
