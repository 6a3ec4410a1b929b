"""Returns sent back to their agencies with the audit: a transition that ``reopens_returns``
leads back into a state that collects returns, and the returns made on that state's last visit
become drafts of the new round, answers kept, for their agencies to revise and submit again
(an exception report the learning hub returns to the agency for more detail).

Each return moves into the new round rather than being copied, so the audit counts it once
and its history (the event log) keeps when it was submitted and sent back. Its findings go,
to be made again when it is submitted, as they do when one return is reopened
(``states.services.returns.reopen``); ``submitted_by`` stays, which is how a reopened draft
is told from one never submitted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, or_, select, update

from states.persistence import tables as t
from states.persistence.store import AuditRow
from states.persistence.vocabulary import ReturnRequestStatus, ReturnStatus


def reopen_last_visit(
    connection: Connection, row: AuditRow, *, state: str, new_round: int, at: datetime
) -> int:
    """Move the returns of ``state``'s last visit into ``new_round`` as drafts; how many."""
    last = _last_visit(connection, row.id, state, new_round)
    if last is None:
        return 0
    r = t.audit_return
    moved = list(
        connection.execute(
            select(r.c.id).where(r.c.audit_id == row.id, r.c.round == last)
        ).scalars()
    )
    if not moved:
        return 0
    connection.execute(delete(t.finding).where(t.finding.c.return_id.in_(moved)))
    connection.execute(
        update(r)
        .where(r.c.id.in_(moved))
        .values(round=new_round, status=ReturnStatus.DRAFT, submitted_at=None, updated_at=at)
    )
    whole_agency = select(r.c.agency_id).where(r.c.id.in_(moved), r.c.case_key == 0)
    connection.execute(
        update(t.participation)
        .where(
            t.participation.c.audit_id == row.id,
            t.participation.c.agency_id.in_(whole_agency),
            t.participation.c.return_status == ReturnRequestStatus.SUBMITTED,
        )
        .values(return_status=ReturnRequestStatus.REOPENED, submitted_at=None)
    )
    return len(moved)


def _last_visit(connection: Connection, audit_id: int, state: str, new_round: int) -> int | None:
    """The round of the visit to ``state`` before ``new_round``: a round is the version of
    the event that entered the state (the audit's start, or a move from another state)."""
    e = t.event
    found = connection.execute(
        select(func.max(e.c.version)).where(
            e.c.audit_id == audit_id,
            e.c.to_state == state,
            e.c.version < new_round,
            or_(e.c.version == 1, e.c.from_state != e.c.to_state),
        )
    ).scalar_one_or_none()
    return None if found is None else int(found)
