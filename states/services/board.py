"""Read-only views for the coordinator's pages: the programme board and one audit's parts.

The board groups the programme and the audits the way a coordinator plans a week: what the
plan says is due this quarter (by the partnership's own calendar, Europe/London), what is in
progress, what waits for sign-off, which deadlines have passed, and audits started outside
the plan. Every view holds references, names, states and dates, never free text from a
return or an escalation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, exists, func, select

from states.clock import LONDON, as_utc
from states.definitions.model import AuditTypeDefinition
from states.persistence import tables as t
from states.persistence.ids import AuditKey
from states.persistence.store import AuditStore
from states.persistence.vocabulary import ReturnStatus
from states.rules.quarters import Quarter
from states.rules.recurrence import Recurrence
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.programme import EntryView, list_entries


def due_in(quarter: Quarter, entry: EntryView) -> bool:
    """Whether the plan puts the entry in this quarter. A quarterly entry is due every
    quarter from its first one, an annual one in its month every year from its first, each
    until its programme ends (``recurs_until``: no time round starts after it); an entry
    with a year but no month, or none at all, is never "due this quarter"."""
    if entry.due_year is None or entry.due_month is None:
        return False
    if entry.due_recurring is None:
        return entry.due_year == quarter.year and entry.due_month in quarter.months
    recurrence = Recurrence.of(
        year=entry.due_year,
        month=entry.due_month,
        recurring=entry.due_recurring,
        starts_months_before_due=entry.starts_months_before_due,
        until=entry.recurs_until,
    )
    return any(recurrence.due_in(quarter.year, month) for month in quarter.months)


@dataclass(frozen=True)
class BoardAudit:
    reference: str
    audit_type: str
    theme: str
    state: str
    started_on: date
    closed: bool
    entry: str | None  # the programme entry's key, when started for one
    signing_off: bool  # at its type's signing-off stage


@dataclass(frozen=True)
class OverdueDeadline:
    reference: str
    theme: str
    name: str
    state: str
    due_at: datetime


@dataclass(frozen=True)
class Board:
    quarter: Quarter
    due: tuple[EntryView, ...]
    in_progress: tuple[BoardAudit, ...]
    awaiting_sign_off: tuple[BoardAudit, ...]
    overdue: tuple[OverdueDeadline, ...]
    unplanned: tuple[BoardAudit, ...]
    programme: tuple[EntryView, ...]


@dataclass(frozen=True)
class RatedAudit:
    reference: str
    audit_type: str
    theme: str
    started_on: date


def board(deps: Deps) -> Board:
    now = deps.clock.now()
    quarter = Quarter.of(now.astimezone(LONDON).date())
    entries = tuple(list_entries(deps))
    audits = _audits(deps)
    opened = [a for a in audits if not a.closed]
    return Board(
        quarter=quarter,
        due=tuple(e for e in entries if due_in(quarter, e)),
        in_progress=tuple(a for a in opened if a.entry is not None and not a.signing_off),
        awaiting_sign_off=tuple(a for a in opened if a.signing_off),
        overdue=overdue_deadlines(deps, now),
        unplanned=tuple(a for a in audits if a.entry is None),
        programme=entries,
    )


def _every_audit() -> Select[Any]:
    a, p, o = t.audit, t.programme_entry, t.programme_occurrence
    # An audit belongs to an entry directly (started once) or by one of its times round
    # (recurring work: each quarter's report, each year's training-impact audit).
    by_time_round = p.alias("by_time_round")
    return (
        select(a.c.reference, a.c.audit_type, a.c.theme, a.c.state, a.c.started_on)
        .add_columns(a.c.closed_at, func.coalesce(p.c.key, by_time_round.c.key))
        .add_columns(a.c.definition_hash)
        .outerjoin(p, p.c.audit_id == a.c.id)
        .outerjoin(o, o.c.audit_id == a.c.id)
        .outerjoin(by_time_round, by_time_round.c.id == o.c.entry_id)
        .order_by(a.c.started_at, a.c.id)
    )


# Built once: aliasing a table costs more than the query itself.
_EVERY_AUDIT = _every_audit()


def _audits(deps: Deps) -> list[BoardAudit]:
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(_EVERY_AUDIT).all()
        read_snapshot = AuditStore(uow.connection).read_snapshot
        # Each audit by the definition it started with (compiled once per version).
        stages = {h: deps.catalogue.by_hash(h, read_snapshot).stages for h in {r[-1] for r in rows}}
    return [
        BoardAudit(
            ref,
            kind,
            theme,
            state,
            started,
            closed is not None,
            key,
            state in stages[h].signing_off,
        )
        for ref, kind, theme, state, started, closed, key, h in rows
    ]


def overdue_deadlines(deps: Deps, now: datetime) -> tuple[OverdueDeadline, ...]:
    """Open deadlines past due, of open audits, most overdue first (by the index on
    ``(met_at, due_at)`` the sweep uses)."""
    d, a = t.deadline, t.audit
    statement = (
        select(a.c.reference, a.c.theme, d.c.name, d.c.state, d.c.due_at)
        .join(a, a.c.id == d.c.audit_id)
        .where(d.c.met_at.is_(None), d.c.due_at < now, a.c.closed_at.is_(None))
        .order_by(d.c.due_at, d.c.id)
    )
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(statement).all()
    return tuple(OverdueDeadline(r, th, n, s, as_utc(due)) for r, th, n, s, due in rows)


def rated_audits(deps: Deps) -> tuple[RatedAudit, ...]:
    """Audits with at least one submitted return, by theme then start: the theme view's rows."""
    a, r = t.audit, t.audit_return
    submitted = exists().where(r.c.audit_id == a.c.id, r.c.status == ReturnStatus.SUBMITTED)
    statement = (
        select(a.c.reference, a.c.audit_type, a.c.theme, a.c.started_on)
        .where(submitted)
        .order_by(a.c.theme, a.c.started_on, a.c.id)
    )
    with deps.uow(readonly=True) as uow:
        return tuple(RatedAudit(*row) for row in uow.connection.execute(statement))


def agency_names(deps: Deps) -> dict[str, str]:
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(select(t.agency.c.code, t.agency.c.name)).all()
    return {code: name for code, name in rows}


def definition_of(deps: Deps, *, audit: AuditKey) -> AuditTypeDefinition:
    """The definition the audit runs under (the one it started with, not today's file)."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        return compiled_for(deps, store, store.load_audit(audit)).definition
