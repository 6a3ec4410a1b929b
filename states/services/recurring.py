"""Recurring work of the programme: each time a recurring entry comes round (each quarter's
effectiveness report, each year's training-impact audit and programme review), one audit,
linked to its entry, whether the worker's calendar starts it or a person does.

The plan declares which entries the calendar starts and when (``calendar`` in the programme
file). The worker's tick asks each time it runs; a request key per entry and due month makes
every ask after the first return the same audit, so downtime over a start day only delays it
and two workers cannot start it twice. Starting and linking are two transactions
(``start_audit`` commits on its own): a retry after a failure between them finds the audit by
its key and links it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, RowMapping, ScalarSelect, insert, select
from sqlalchemy.exc import IntegrityError

from states.clock import LONDON
from states.errors import InvalidInput, NotFound
from states.persistence import tables as t
from states.persistence.ids import PersonKey
from states.rules.quarters import plain_day
from states.rules.recurrence import Occurrence, Recurrence
from states.rules.themes import THEME_LIMIT, short_theme
from states.services.audits import Fired, start_audit
from states.services.deps import Deps
from states.services.sign_off import take_entry_bodies

p, o = t.programme_entry, t.programme_occurrence
# What an entry row must hold to be read as recurring work.
ENTRY_COLUMNS = (
    p.c.id,
    p.c.programme,
    p.c.key,
    p.c.audit_type,
    p.c.theme,
    p.c.due_year,
    p.c.due_month,
    p.c.due_recurring,
    p.c.starts_months_before_due,
    p.c.recurs_until,
)


@dataclass(frozen=True)
class RecurringEntry:
    id: int
    key: str
    audit_type: str
    theme: str
    recurrence: Recurrence

    @classmethod
    def of(cls, row: RowMapping) -> RecurringEntry | None:
        """The entry as recurring work, or None when it happens once (or names no month to
        count its times round from)."""
        year, month, recurring = row["due_year"], row["due_month"], row["due_recurring"]
        if year is None or month is None or recurring is None:
            return None
        recurrence = Recurrence.of(
            year=year,
            month=month,
            recurring=recurring,
            starts_months_before_due=row["starts_months_before_due"],
            until=row["recurs_until"],
        )
        return cls(row["id"], row["key"], row["audit_type"], row["theme"], recurrence)

    def theme_for(self, occurrence: Occurrence) -> str:
        """ "… Safeguarding effectiveness report (due August 2025)": the plan's words and
        the time round, so each quarter's audit is told apart on every list."""
        suffix = f" (due {occurrence.label})"
        return short_theme(self.theme, THEME_LIMIT - len(suffix)) + suffix

    def request_key(self, occurrence: Occurrence) -> str:
        return f"programme-entry:{self.id}:{occurrence.key}"


@dataclass(frozen=True)
class CalendarWork:
    """A time round the calendar starts: the entry's, due in the occurrence's month."""

    entry: RecurringEntry
    occurrence: Occurrence


def calendar_work(deps: Deps) -> tuple[CalendarWork, ...]:
    """The time round of each entry the calendar starts that has begun by today (London),
    in the programme's order, started or not."""
    today = _today(deps)
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(*ENTRY_COLUMNS)
            .where(p.c.starts_months_before_due.is_not(None))
            .order_by(p.c.programme, p.c.id)
        ).mappings()
        entries = [entry for row in rows if (entry := RecurringEntry.of(row)) is not None]
    return tuple(
        CalendarWork(entry, occurrence)
        for entry in entries
        if (occurrence := entry.recurrence.current(today)) is not None
    )


def start_calendar_work(deps: Deps, work: CalendarWork, *, coordinator: str, lead: str) -> str:
    """The reference of the time round's audit: the one linked to it already (by the
    calendar or a person), or one started now, dated the day the plan starts it."""
    linked = linked_audit(deps, work.entry.id, work.occurrence)
    if linked is not None:
        return linked
    fired = _start_and_link(
        deps, work, lead=lead, actor=coordinator, started_on=work.occurrence.starts_on
    )
    return fired.reference


def start_this_time_round(
    deps: Deps,
    *,
    entry: RecurringEntry,
    lead: PersonKey,
    actor: PersonKey,
    agencies: Sequence[str] = (),
    started_on: date | None = None,
) -> Fired:
    """A person starts the entry's current time round: the same audit the calendar would
    start (one request key), so the two never make one each."""
    work = CalendarWork(entry, _current(deps, entry))
    linked = linked_audit(deps, entry.id, work.occurrence)
    if linked is not None:
        raise _already_linked(entry, work.occurrence, linked)
    return _start_and_link(
        deps, work, lead=lead, actor=actor, agencies=agencies, started_on=started_on
    )


def link_this_time_round(deps: Deps, *, entry: RecurringEntry, reference: str) -> None:
    """Record ``reference`` (an audit started by hand) as the current time round's audit.
    Linking the same audit again is harmless; replacing another audit's link is refused."""
    occurrence = _current(deps, entry)
    linked = _link(deps, entry.id, occurrence, reference)
    if linked != reference:
        raise _already_linked(entry, occurrence, linked)


def linked_audit(deps: Deps, entry_id: int, occurrence: Occurrence) -> str | None:
    with deps.uow(readonly=True) as uow:
        return _linked(uow.connection, entry_id, occurrence)


def latest_time_round() -> ScalarSelect[int]:
    """The audit of an entry's latest time round, as a column of a query over entries."""
    return (
        select(o.c.audit_id)
        .where(o.c.entry_id == p.c.id)
        .order_by(o.c.due_year.desc(), o.c.due_month.desc())
        .limit(1)
        .scalar_subquery()
    )


def with_times_round(connection: Connection, entry_ids: Sequence[int]) -> set[int]:
    """Which of the entries have an audit linked to one of their times round."""
    found = select(o.c.entry_id).where(o.c.entry_id.in_(entry_ids))
    return set(connection.execute(found).scalars())


def _start_and_link(
    deps: Deps,
    work: CalendarWork,
    *,
    lead: PersonKey,
    actor: PersonKey,
    agencies: Sequence[str] = (),
    started_on: date | None,
) -> Fired:
    entry, occurrence = work.entry, work.occurrence
    fired = start_audit(
        deps,
        audit_type=entry.audit_type,
        theme=entry.theme_for(occurrence),
        lead=lead,
        actor=actor,
        agencies=agencies,
        started_on=started_on,
        request_key=entry.request_key(occurrence),
    )
    linked = _link(deps, entry.id, occurrence, fired.reference)
    if linked != fired.reference:
        # Another audit was linked by hand between the check and this start.
        raise _already_linked(entry, occurrence, linked)
    return fired


def _link(deps: Deps, entry_id: int, occurrence: Occurrence, reference: str) -> str:
    """Link ``reference`` unless the time round has an audit already; the linked audit's
    reference either way. The unique (entry, due month) makes a second linker miss."""
    try:
        with deps.uow() as uow:
            audit_id = _audit_id(uow.connection, reference)
            uow.connection.execute(
                insert(o).values(
                    entry_id=entry_id,
                    due_year=occurrence.due_year,
                    due_month=occurrence.due_month,
                    audit_id=audit_id,
                    linked_at=deps.clock.now(),
                )
            )
            take_entry_bodies(uow.connection, entry_id=entry_id, audit_id=audit_id)
            uow.commit()
    except IntegrityError:
        linked = linked_audit(deps, entry_id, occurrence)
        if linked is None:  # the audit is another time round's: not this one to take
            raise InvalidInput(
                f"Audit {reference} is linked to another time round of the programme."
            ) from None
        return linked
    return reference


def _linked(connection: Connection, entry_id: int, occurrence: Occurrence) -> str | None:
    return connection.execute(
        select(t.audit.c.reference)
        .join(o, o.c.audit_id == t.audit.c.id)
        .where(
            o.c.entry_id == entry_id,
            o.c.due_year == occurrence.due_year,
            o.c.due_month == occurrence.due_month,
        )
    ).scalar_one_or_none()


def _audit_id(connection: Connection, reference: str) -> int:
    audit_id = connection.execute(
        select(t.audit.c.id).where(t.audit.c.reference == reference)
    ).scalar_one_or_none()
    if audit_id is None:
        raise NotFound("audit", reference)
    return int(audit_id)


def _current(deps: Deps, entry: RecurringEntry) -> Occurrence:
    occurrence = entry.recurrence.current(_today(deps))
    if occurrence is not None:
        return occurrence
    first = entry.recurrence.nth(0)
    if _today(deps) < first.starts_on:
        raise InvalidInput(
            f"Programme entry '{entry.key}' first comes round on {plain_day(first.starts_on)}; "
            "start it then."
        )
    raise InvalidInput(
        f"Programme entry '{entry.key}' has no time round left in its programme's period; "
        "start it from the next programme."
    )


def _already_linked(entry: RecurringEntry, occurrence: Occurrence, reference: str) -> InvalidInput:
    return InvalidInput(
        f"Programme entry '{entry.key}' already has audit {reference} for {occurrence.label}; "
        f"carry on with that one ('oscp audit show {reference}')."
    )


def _today(deps: Deps) -> date:
    return deps.clock.now().astimezone(LONDON).date()
