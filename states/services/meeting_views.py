"""An audit's discussion meeting as its chair and coordinators see it on the meeting page:
those who may be invited (grouped: chair, auditors, each agency), the current meeting with
its list, whether attendance may be recorded yet, and earlier meetings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditStore
from states.rules.meetings import MeetingStatus
from states.rules.policy import Permission
from states.services.audit_access import permitted
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.meeting_people import (
    Invited,
    Offered,
    StoredMeeting,
    invited,
    meeting_by_id,
    offered,
)


@dataclass(frozen=True)
class Past:
    status: MeetingStatus
    starts_at: datetime


@dataclass(frozen=True)
class MeetingPage:
    reference: str
    title: str
    theme: str
    state_title: str
    groups: list[tuple[str, list[Offered]]]
    current: StoredMeeting | None  # scheduled or held: the one the page acts on
    invited: list[Invited]  # on the current meeting's list now
    started: bool
    earlier: list[Past]


def meeting_page(deps: Deps, *, audit: AuditKey, viewer: PersonKey) -> MeetingPage:
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        store = AuditStore(c)
        row = permitted(
            deps,
            store,
            audit,
            viewer,
            may=Permission.ARRANGE_MEETING,
            doing="arrange its audit discussion",
        ).row
        definition = compiled_for(deps, store, row).definition
        people = offered(c, row)
        meetings = _meetings(c, row.id)
        newest = meetings[0] if meetings else None
        current = None if newest is None or newest.status is MeetingStatus.CANCELLED else newest
        listed = [] if current is None else invited(c, current.id)
    groups: dict[str, list[Offered]] = {}
    for person in people:
        groups.setdefault(person.group, []).append(person)
    return MeetingPage(
        reference=row.reference,
        title=definition.title,
        theme=row.theme,
        state_title=definition.state(row.state).title,
        groups=list(groups.items()),
        current=current,
        invited=[i for i in listed if i.removed_at is None],
        started=current is not None and deps.clock.now() >= current.starts_at,
        earlier=[Past(m.status, m.starts_at) for m in meetings if m is not current],
    )


def _meetings(c: Connection, audit_id: int) -> list[StoredMeeting]:
    """Newest first; only the newest may still be scheduled or held."""
    m = t.meeting
    ids = c.execute(select(m.c.id).where(m.c.audit_id == audit_id).order_by(m.c.id.desc()))
    found = [meeting_by_id(c, i) for i in list(ids.scalars())]
    return [f[0] for f in found if f is not None]
