"""What the worker's tick would find to do now, asked cheaply: is a reminder rung due, is a
message due to go out, has a calendar time round begun that has no audit yet.

Each answer is one indexed look for the first row that matches (``LIMIT 1``), so asking
costs the same whether the database holds a week of history or ten years of it: rungs by
``ix_reminder_due``, the index the sweep finds them by; messages by ``ix_outbox_pending``,
the relay's, with the relay's own condition (a deferred message whose retry time has come
and a claim that lapsed are due again, exactly as the relay would pick them up). The
calendar reads only the plan's recurring entries (a handful per programme, however long it
runs) and each current time round's audit by its unique key.

An answer decides only whether a part of the tick runs, never what it does: the part asks
the database again in its own transaction, so a row that came due between the two is sent
by this tick or the next, and one taken meanwhile by another worker is not sent twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from sqlalchemy import ColumnElement, Connection, Select, and_, or_, select

from states.persistence import tables as t
from states.persistence.lease import Lease
from states.services.deps import Deps
from states.services.recurring import CalendarWork, calendar_work

# Tags on a run name at most this many audits: a run that touched more says so in its
# name, and each audit's own runs remain a filter away.
NAMED_AUDITS = 10
# The lease row that makes one quiet tick an hour the one to say so.
QUIET_HOUR = "quiet-hour"
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class CalendarRounds:
    """The current time round of each entry the calendar starts: the audits already started
    for them (in the programme's order) and how many have none yet."""

    started: tuple[str, ...]
    waiting: int

    @property
    def due(self) -> bool:
        return self.waiting > 0


@dataclass(frozen=True)
class DueNow:
    calendar: bool
    reminders: bool
    outbox: bool

    @property
    def anything(self) -> bool:
        return self.calendar or self.reminders or self.outbox


@dataclass(frozen=True)
class TouchedAudit:
    reference: str
    audit_type: str


def due_now(deps: Deps) -> DueNow:
    """All three answers at one clock reading."""
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        reminders = _exists(uow.connection, _rungs_due(now))
        outbox = _exists(uow.connection, _messages_due(now))
    return DueNow(calendar_rounds(deps).due, reminders, outbox)


def reminders_due(deps: Deps) -> bool:
    """A reminder rung is due and not yet swept."""
    with deps.uow(readonly=True) as uow:
        return _exists(uow.connection, _rungs_due(deps.clock.now()))


def outbox_due(deps: Deps) -> bool:
    """A message is due to be sent: new, back from a deferral, or left by a lapsed claim."""
    with deps.uow(readonly=True) as uow:
        return _exists(uow.connection, _messages_due(deps.clock.now()))


def calendar_rounds(deps: Deps) -> CalendarRounds:
    """The calendar's time rounds that have begun by today (London), and which have an
    audit: the same audits the calendar's own start would name, without starting any."""
    rounds = calendar_work(deps)
    if not rounds:
        return CalendarRounds((), 0)
    with deps.uow(readonly=True) as uow:
        linked = _linked(uow.connection, rounds)
    started = tuple(ref for work in rounds if (ref := linked.get(_key(work))) is not None)
    return CalendarRounds(started, len(rounds) - len(started))


def audits_with_due_reminders(deps: Deps, *, limit: int = NAMED_AUDITS) -> list[TouchedAudit]:
    """The audits (some, up to ``limit``) whose rungs the sweep is about to turn into
    messages, to name its run by."""
    due = _rungs_due(deps.clock.now()).with_only_columns(t.reminder.c.audit_id)
    return _audits(deps, due.distinct().limit(limit))


def audits_with_due_messages(deps: Deps, *, limit: int = NAMED_AUDITS) -> list[TouchedAudit]:
    """The audits (some, up to ``limit``) whose messages the relay is about to send."""
    due = _messages_due(deps.clock.now()).with_only_columns(t.outbox.c.audit_id)
    return _audits(deps, due.where(t.outbox.c.audit_id.is_not(None)).distinct().limit(limit))


def claim_quiet_hour(deps: Deps) -> datetime | None:
    """The start of this hour (UTC, on the engine's clock) if no tick has yet said that
    nothing was due in it, claimed now for this tick; None if another tick has.

    The claim is a lease in the database, held by whichever tick took it until the next hour
    begins, so the first quiet tick of each hour is the only one, across restarts and
    whichever worker leads."""
    now = deps.clock.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    lease = Lease(
        deps.uow,
        deps.clock,
        name=QUIET_HOUR,
        holder=f"{hour:%Y-%m-%dT%H}Z {uuid4().hex[:8]}",  # each claim its own holder
        duration=hour + HOUR - now,
    )
    if lease.holder_now() is not None:  # asked first, so a quiet tick mostly only reads
        return None
    return hour if lease.acquire() else None


def _rungs_due(now: datetime) -> Select[tuple[int]]:
    """The sweep's condition, which ``ix_reminder_due (processed_at, due_at)`` serves."""
    r = t.reminder
    return select(r.c.id).where(r.c.processed_at.is_(None), r.c.due_at <= now)


def _messages_due(now: datetime) -> Select[tuple[int]]:
    """The relay's condition (``notifications.relay``: unsent, unfailed, its next attempt
    come), which ``ix_outbox_pending (sent_at, next_attempt_at)`` serves. A claim moves
    ``next_attempt_at`` ahead by the claim's length, so a lapsed claim matches again."""
    o = t.outbox
    return select(o.c.id).where(
        o.c.sent_at.is_(None), o.c.next_attempt_at <= now, o.c.failed_at.is_(None)
    )


def _exists(connection: Connection, query: Select[tuple[int]]) -> bool:
    return connection.execute(query.limit(1)).first() is not None


def _audits(deps: Deps, audit_ids: Select[tuple[int | None]]) -> list[TouchedAudit]:
    ids = audit_ids.subquery()
    query = (
        select(t.audit.c.reference, t.audit.c.audit_type)
        .join(ids, ids.c.audit_id == t.audit.c.id)
        .order_by(t.audit.c.reference)
    )
    with deps.uow(readonly=True) as uow:
        return [TouchedAudit(ref, kind) for ref, kind in uow.connection.execute(query)]


def _key(work: CalendarWork) -> tuple[int, int, int]:
    return work.entry.id, work.occurrence.due_year, work.occurrence.due_month


def _linked(
    connection: Connection, rounds: Sequence[CalendarWork]
) -> dict[tuple[int, int, int], str]:
    """Each round's audit, found by the time round's unique (entry, due month)."""
    o = t.programme_occurrence
    found: list[ColumnElement[bool]] = [
        and_(o.c.entry_id == entry, o.c.due_year == year, o.c.due_month == month)
        for entry, year, month in map(_key, rounds)
    ]
    rows = connection.execute(
        select(o.c.entry_id, o.c.due_year, o.c.due_month, t.audit.c.reference)
        .join(t.audit, t.audit.c.id == o.c.audit_id)
        .where(or_(*found))
    )
    return {(entry, year, month): ref for entry, year, month, ref in rows}
