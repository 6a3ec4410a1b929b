"""How many of an audit's findings there are, and how many are moderated, per agency and
question: what the moderation page sums into its progress, its agencies and its groups.

Counting means reading every finding (some eighty-seven thousand in a thousand-case MACE),
so the counts are kept in the process, one entry per audit, for the audit's version: every
write that adds, removes or moderates a finding goes through the audit's write path, which
bumps the version, so counts read at a version are the counts of that version. The version
is read by the counting statement itself, so the two come from one snapshot even where each
statement sees the latest commit (PostgreSQL's read committed); counts read before a newer
version was committed are never kept under it. Entries live per connection pool (one
database), are few (``KEPT`` audits per pool) and are guarded by a lock, as a web server
reads them from many threads. Agencies are kept by id: their codes and names may change
without the audit's version, so callers look those up each time.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import Connection, func, select
from sqlalchemy.pool import Pool

from states.persistence import tables as t
from states.persistence.store import AuditRow

KEPT = 32  # audits whose counts each pool keeps, the least recently read going first


@dataclass(frozen=True)
class Count:
    """Findings of one agency (``None``: the panel's own) for one question (``None``: a
    finding the panel recorded with no question)."""

    agency_id: int | None
    question_id: str | None
    total: int
    moderated: int


Kept = OrderedDict[int, tuple[int, tuple[Count, ...]]]  # audit id: (version, its counts)
_lock = threading.Lock()
_kept: weakref.WeakKeyDictionary[Pool, Kept] = weakref.WeakKeyDictionary()


def finding_counts(connection: Connection, row: AuditRow) -> tuple[Count, ...]:
    """The counts of ``row``'s audit at ``row.version`` (or at a later version, when one was
    committed after ``row`` was read), from memory when this pool counted them already."""
    pool = connection.engine.pool
    with _lock:
        kept = _kept.get(pool)
        found = kept.get(row.id) if kept is not None else None
        if kept is not None and found is not None and found[0] == row.version:
            kept.move_to_end(row.id)
            return found[1]
    version, counts = _count(connection, row.id)
    if version is not None:
        _keep(pool, row.id, version, counts)
    return counts


def _count(connection: Connection, audit_id: int) -> tuple[int | None, tuple[Count, ...]]:
    """One statement: each (agency, question)'s counts with the audit's version beside them.
    The agency is the return's (no join to agencies or cases: this reads every finding)."""
    f, r = t.finding, t.audit_return
    version = select(t.audit.c.version).where(t.audit.c.id == audit_id).scalar_subquery()
    keys = (r.c.agency_id, f.c.question_id)
    rows = connection.execute(
        select(*keys, func.count(f.c.id), func.count(f.c.moderated_at), version)
        .select_from(f)
        .outerjoin(r, r.c.id == f.c.return_id)
        .where(f.c.audit_id == audit_id)
        .group_by(*keys)
    ).all()
    counts = tuple(
        Count(agency, question, int(n), int(done)) for agency, question, n, done, _ in rows
    )
    # No findings, no version read: not kept, and cheap to count again.
    return (int(rows[0][4]) if rows else None), counts


def _keep(pool: Pool, audit_id: int, version: int, counts: tuple[Count, ...]) -> None:
    with _lock:
        kept = _kept.setdefault(pool, OrderedDict())
        held = kept.get(audit_id)
        if held is not None and held[0] > version:
            return  # a reader of a newer version kept its counts first
        kept[audit_id] = (version, counts)
        kept.move_to_end(audit_id)
        while len(kept) > KEPT:
            kept.popitem(last=False)
