"""Recording that an audit shared what its type declares it must (``dissemination.items``):
which item, by which declared channel, on which day; and reading that back for ``oscp audit
show`` and the audit page.

The ``dissemination_recorded`` gate holds the way on from the disseminating state until each
item has a record. Only signed-off learning is shared, so records are kept from sign-off on.
The same item by the same channel on the same day is one record: recording it again changes
nothing. Nothing here is free text, so the history names the item, channel and day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, insert, select

from states.clock import LONDON, as_utc
from states.definitions.dissemination import Channel, DisseminationDef
from states.errors import InvalidInput
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.rules.policy import Permission
from states.rules.shared_items import refusal
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.work import write_to_audit


@dataclass(frozen=True)
class SharedRecord:
    channel: str
    shared_on: date
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class ItemView:
    id: str
    title: str
    channels: tuple[str, ...]
    records: tuple[SharedRecord, ...]


@dataclass(frozen=True)
class Sharing:
    """What the audit must share and what is recorded. ``declared`` is False for an audit
    started before its type declared it: nothing is asked of it."""

    declared: bool
    description: str
    items: tuple[ItemView, ...]

    @property
    def waiting(self) -> list[ItemView]:
        return [i for i in self.items if not i.records]


def record_shared(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, item: str, channel: str, on: date
) -> bool:
    """Record that ``item`` was shared by ``channel`` on ``on``; False when that very record
    was kept already (nothing changes)."""
    item, channel = item.strip(), channel.strip()

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> bool:
        c = uow.connection
        compiled = compiled_for(deps, AuditStore(c), row)
        if not compiled.stages.can_publish(row.state):
            raise InvalidInput(
                f"Audit {row.reference} is at '{row.state}': only signed-off learning is "
                "shared, so record it once the report is signed off."
            )
        today = now.astimezone(LONDON).date()
        plan = compiled.definition.dissemination
        refused = refusal(plan, item=item, channel=channel, on=on, today=today)
        if refused is not None:
            raise InvalidInput(refused)
        key = {"audit_id": row.id, "item": item, "channel": channel, "shared_on": on}
        if _kept(c, key):
            raise _AlreadyKept
        c.execute(insert(t.shared_item), {**key, "recorded_at": now, "recorded_by": who.id})
        return True

    try:
        return write_to_audit(
            deps,
            audit,
            actor,
            "record_shared",
            may=Permission.ORGANISE,
            work=work,
            reason=f"Shared {item} by {channel} on {on.isoformat()}",
        )
    except _AlreadyKept:
        return False


def record_engine_sent(
    c: Connection,
    row: AuditRow,
    plan: DisseminationDef | None,
    channel: Channel,
    *,
    by: int,
    now: datetime,
) -> list[str]:
    """Record, inside the caller's write, every declared item that goes by ``channel`` as
    shared today: the engine itself just sent it that way (the Section 175 summary e-mailed
    to every setting), so nobody should have to record it by hand. Returns the items."""
    if plan is None:
        return []
    on = now.astimezone(LONDON).date()
    items = [i.id for i in plan.items if channel in i.channels]
    for item in items:
        key = {"audit_id": row.id, "item": item, "channel": channel.value, "shared_on": on}
        if not _kept(c, key):
            c.execute(insert(t.shared_item), {**key, "recorded_at": now, "recorded_by": by})
    return items


class _AlreadyKept(Exception):
    """Raised inside the write to roll it back: the same record is kept already, and a second
    event saying so would only clutter the history."""


def _kept(c: Connection, key: dict[str, object]) -> bool:
    s = t.shared_item.c
    found = c.execute(
        select(s.id).where(
            s.audit_id == key["audit_id"],
            s.item == key["item"],
            s.channel == key["channel"],
            s.shared_on == key["shared_on"],
        )
    ).first()
    return found is not None


def sharing_of(deps: Deps, *, audit: AuditKey) -> Sharing:
    """What ``audit`` must share, each item with its records, oldest first."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        plan = compiled_for(deps, store, row).definition.dissemination
        records = _records(uow.connection, row.id)
    return _sharing(plan, records)


def _records(c: Connection, audit_id: int) -> dict[str, list[SharedRecord]]:
    s = t.shared_item
    rows = c.execute(
        select(s.c.item, s.c.channel, s.c.shared_on, t.person.c.name, s.c.recorded_at)
        .join(t.person, t.person.c.id == s.c.recorded_by)
        .where(s.c.audit_id == audit_id)
        .order_by(s.c.shared_on, s.c.id)
    )
    found: dict[str, list[SharedRecord]] = {}
    for item, channel, on, by, at in rows:
        found.setdefault(item, []).append(SharedRecord(channel, on, by, as_utc(at)))
    return found


def _sharing(plan: DisseminationDef | None, records: dict[str, list[SharedRecord]]) -> Sharing:
    if plan is None:
        return Sharing(declared=False, description="", items=())
    items = tuple(
        ItemView(i.id, i.title, tuple(str(c) for c in i.channels), tuple(records.get(i.id, ())))
        for i in plan.items
    )
    return Sharing(declared=True, description=plan.description, items=items)
