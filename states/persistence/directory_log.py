"""The directory's append-only log (``directory_change``), and the lock every directory write
takes first.

One row per change: who, when, why, what it is about and what changed. The database itself
refuses to update or delete a row (migrations 0014 and 0015), so the log can only grow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from states.persistence import tables as t
from states.rules.directory_log import FieldChanges, Logged, Subject, encode

# Any constant will do, as long as nothing else takes this advisory lock for something else.
_DIRECTORY_LOCK = 0x0D17EC70


@dataclass(frozen=True)
class Change:
    """One row of the log, before it is written."""

    subject: Subject
    change: Logged
    person_id: int | None = None
    agency_id: int | None = None
    body_id: int | None = None
    role: str | None = None
    fields: FieldChanges | None = None
    links_revoked: int = 0


def lock_directory(c: Connection) -> None:
    """Directory writes one at a time: an import checks the whole directory against its dry
    run, so nothing may change it between that check and the commit. SQLite's writers are
    serialised already (``BEGIN IMMEDIATE``); PostgreSQL takes a lock held to the end of the
    transaction."""
    if c.dialect.name == "postgresql":
        c.execute(select(func.pg_advisory_xact_lock(_DIRECTORY_LOCK)))


def append(c: Connection, changes: Sequence[Change], *, by: int, at: datetime, reason: str) -> None:
    """Write the rows in one statement (an import may log thousands)."""
    if not changes:
        return
    c.execute(
        insert(t.directory_change),
        [
            {
                "subject": change.subject.value,
                "change": change.change.value,
                "person_id": change.person_id,
                "agency_id": change.agency_id,
                "body_id": change.body_id,
                "role": change.role,
                "changed_fields": encode(change.fields or {}),
                "links_revoked": change.links_revoked,
                "reason": reason,
                "changed_by": by,
                "changed_at": at,
            }
            for change in changes
        ],
    )


def read(
    c: Connection,
    *,
    person_id: int | None = None,
    agency_id: int | None = None,
    body_id: int | None = None,
    limit: int = 200,
) -> Sequence[Any]:
    """The newest rows first, with the names of who made each change and what it was about."""
    d = t.directory_change
    subject_person, by = t.person.alias("subject_person"), t.person.alias("by")
    statement = (
        select(
            d.c.id,
            d.c.changed_at,
            by.c.name.label("by"),
            d.c.subject,
            d.c.change,
            subject_person.c.email.label("person"),
            t.agency.c.code.label("agency"),
            t.body.c.code.label("body"),
            d.c.role,
            d.c.changed_fields,
            d.c.reason,
            d.c.links_revoked,
        )
        .join(by, by.c.id == d.c.changed_by)
        .outerjoin(subject_person, subject_person.c.id == d.c.person_id)
        .outerjoin(t.agency, t.agency.c.id == d.c.agency_id)
        .outerjoin(t.body, t.body.c.id == d.c.body_id)
        .order_by(d.c.changed_at.desc(), d.c.id.desc())
        .limit(limit)
    )
    for column, wanted in (
        (d.c.person_id, person_id),
        (d.c.agency_id, agency_id),
        (d.c.body_id, body_id),
    ):
        if wanted is not None:
            statement = statement.where(column == wanted)
    return c.execute(statement).all()
