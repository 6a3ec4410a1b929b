"""What the feedback page shows the chair or coordinator: each setting owed individual feedback
(Section 175's deep-dive sample; on an audit with no deep dive, such as Section 11, every
agency that returned: ``facts.feedback_owed``, the same the ``feedback_recorded`` gate waits
on), with the feedback recorded for it so far, who recorded it and when.

The words are the partnership's to a setting alone: reading them is the organisers'
(``Permission.ORGANISE``), as writing them is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, exists, select

from states.clock import as_utc
from states.definitions.stage_names import Stage
from states.persistence import tables as t
from states.persistence.facts import feedback_owed
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditStore
from states.services.audit_access import organised_audit
from states.services.deep_dive import FEEDBACK_LIMIT
from states.services.deep_dive_views import at_stage
from states.services.deps import Deps


@dataclass(frozen=True)
class Given:
    words: str
    by: str
    at: datetime


@dataclass(frozen=True)
class OwedFeedback:
    code: str
    name: str
    given: Given | None  # None until feedback is recorded


@dataclass(frozen=True)
class FeedbackView:
    reference: str
    stage_title: str
    open: bool  # giving feedback, when it is recorded
    sampled: bool  # owed to a deep-dive sample (else to every agency that returned)
    owed: tuple[OwedFeedback, ...]
    limit: int  # the longest feedback the engine takes, in characters

    @property
    def recorded(self) -> int:
        return sum(1 for o in self.owed if o.given is not None)


def feedback_of(deps: Deps, *, audit: AuditKey, viewer: PersonKey) -> FeedbackView:
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = organised_audit(deps, store, audit, viewer, "read its individual feedback")
        is_open, title = at_stage(deps, store, row, Stage.GIVING_FEEDBACK)
        sampled = _sampled(uow.connection, row.id)
        owed = _owed(uow.connection, row.id)
    return FeedbackView(row.reference, title, is_open, sampled, owed, FEEDBACK_LIMIT)


def _owed(c: Connection, audit_id: int) -> tuple[OwedFeedback, ...]:
    p, g, f, who = t.participation, t.agency, t.feedback, t.person
    rows = c.execute(
        select(g.c.code, g.c.name, f.c.summary, who.c.name, f.c.recorded_at)
        .join(p, p.c.agency_id == g.c.id)
        .outerjoin(f, (f.c.audit_id == p.c.audit_id) & (f.c.agency_id == p.c.agency_id))
        .outerjoin(who, who.c.id == f.c.recorded_by)
        .where(p.c.audit_id == audit_id, feedback_owed())
        .order_by(g.c.name, g.c.code)
    )
    return tuple(
        OwedFeedback(
            code, name, None if words is None else Given(words, str(by), as_utc(recorded_at))
        )
        for code, name, words, by, recorded_at in rows
    )


def _sampled(c: Connection, audit_id: int) -> bool:
    p = t.participation
    return bool(
        c.execute(
            select(exists().where(p.c.audit_id == audit_id, p.c.deep_dive.is_(True)))
        ).scalar_one()
    )
