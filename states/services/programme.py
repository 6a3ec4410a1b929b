"""The audit programme in the database: load the plan, list it, and start its audits.

The YAML file is the plan; the table is its last loaded copy plus one thing the file cannot
know, the audit started for each entry. Loading therefore rewrites text but never a link, and
an entry that leaves the file while an audit hangs on it is kept and reported, not deleted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update

from states.definitions.programme import ProgrammeEntryDef, load_programme_file
from states.errors import InvalidInput, NotFound
from states.persistence import tables as t
from states.persistence.ids import PersonKey
from states.rules.themes import short_theme
from states.services.audits import Fired, start_audit
from states.services.deps import Deps
from states.services.recurring import (
    ENTRY_COLUMNS,
    RecurringEntry,
    latest_time_round,
    link_this_time_round,
    start_this_time_round,
    with_times_round,
)
from states.services.sign_off import bodies_json, take_entry_bodies

p = t.programme_entry
# What the file says about an entry: compared on every load to tell updated from unchanged.
_FROM_FILE = (
    "timeframe",
    "due_year",
    "due_month",
    "due_recurring",
    "theme",
    "audit_type",
    "rationale",
    "evidence",
    "report_author",
    "sign_off",
    "impact_monitoring",
    "starts_months_before_due",
    "recurs_until",
    "report_to",
)


@dataclass(frozen=True)
class LoadResult:
    programme: str
    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    # No longer in the file: deleted when nothing was started for them ...
    removed: tuple[str, ...] = ()
    # ... and kept when an audit is linked, so the audit never loses its place in the plan.
    kept: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntryView:
    programme: str
    key: str
    timeframe: str
    due_year: int | None
    due_month: int | None
    due_recurring: str | None
    theme: str
    audit_type: str
    rationale: str
    evidence: tuple[str, ...]
    report_author: str
    sign_off: str
    impact_monitoring: str
    audit_reference: str | None
    audit_state: str | None
    # The day its audit (for recurring work, its latest time round's) was signed off.
    signed_off_on: date | None = None
    # Recurring work: how early each time round starts, and the last day one may start.
    starts_months_before_due: int | None = None
    recurs_until: date | None = None


def load_programme(deps: Deps, path: Path) -> LoadResult:
    """Validate the whole file first (nothing is stored from a bad one), then bring the table
    in line with it in one transaction. Loading the same file twice changes nothing."""
    definition = load_programme_file(path, known_types=deps.catalogue.known_types)
    name = definition.programme
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    with deps.uow() as uow:
        stored = {
            row.key: row
            for row in uow.connection.execute(select(p).where(p.c.programme == name)).mappings()
        }
        for entry in definition.entries:
            values = _values(entry, until=definition.period.ends)
            row = stored.pop(entry.key, None)
            if row is None:
                _insert(uow.connection, name, entry.key, values, deps)
                added.append(entry.key)
            elif _differs(row, values):
                # Text only: audit_id is not among the values, so a link survives rewording.
                uow.connection.execute(
                    update(p).where(p.c.id == row.id).values(**values, loaded_at=deps.clock.now())
                )
                updated.append(entry.key)
            else:
                unchanged.append(entry.key)
        removed, kept = _drop_missing(uow.connection, stored)
        uow.commit()
    return LoadResult(name, tuple(added), tuple(updated), tuple(unchanged), removed, kept)


def _values(entry: ProgrammeEntryDef, *, until: date) -> dict[str, Any]:
    due = entry.due
    recurring = due is not None and due.recurring is not None
    return {
        "timeframe": entry.timeframe,
        "due_year": None if due is None else due.year,
        "due_month": None if due is None else due.month,
        "due_recurring": None if due is None else due.recurring,
        "theme": entry.theme,
        "audit_type": entry.audit_type,
        "rationale": entry.rationale,
        "evidence": json.dumps(entry.evidence, ensure_ascii=False),
        "report_author": entry.report_author,
        "sign_off": entry.sign_off,
        "impact_monitoring": entry.impact_monitoring,
        "starts_months_before_due": (
            None if entry.calendar is None else entry.calendar.starts_months_before_due
        ),
        # A recurring entry comes round no more once its programme's period has ended.
        "recurs_until": until if recurring else None,
        "report_to": None if entry.report_to is None else bodies_json(entry.report_to),
    }


def _differs(row: RowMapping, values: Mapping[str, Any]) -> bool:
    # Evidence is compared as a list: the same items stored by another JSON writer still match.
    return any(
        json.loads(row[c]) != json.loads(values[c]) if c == "evidence" else row[c] != values[c]
        for c in _FROM_FILE
    )


def _insert(
    connection: Connection, programme: str, key: str, values: Mapping[str, Any], deps: Deps
) -> None:
    connection.execute(
        insert(p),
        {**values, "programme": programme, "key": key, "loaded_at": deps.clock.now()},
    )


def _drop_missing(
    connection: Connection, missing: Mapping[str, RowMapping]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    recurred = with_times_round(connection, [row["id"] for row in missing.values()])
    linked = {k for k, row in missing.items() if row["audit_id"] or row["id"] in recurred}
    removed, kept = tuple(sorted(set(missing) - linked)), tuple(sorted(linked))
    ids = [missing[k]["id"] for k in removed]
    if ids:
        connection.execute(delete(p).where(p.c.id.in_(ids)))
    return removed, kept


# Every entry with the audit started for it (for recurring work, its latest time round's),
# built once: aliasing tables costs more than the board's whole query.
_ROUND = t.programme_occurrence.alias("time_round")
_ENTRIES = (
    select(p, t.audit.c.reference, t.audit.c.state)
    .add_columns(_ROUND.c.signed_off_on.label("round_signed_off_on"))
    .select_from(
        p.outerjoin(
            t.audit, t.audit.c.id == func.coalesce(p.c.audit_id, latest_time_round())
        ).outerjoin(_ROUND, _ROUND.c.audit_id == t.audit.c.id)
    )
    .order_by(p.c.due_year.is_(None), p.c.due_year, p.c.due_month.is_(None), p.c.due_month, p.c.id)
)


def list_entries(
    deps: Deps, *, year: int | None = None, programme: str | None = None
) -> list[EntryView]:
    """Entries in date order (undated ones last), each with the audit started for it (for
    recurring work, the audit of its latest time round)."""
    statement = _ENTRIES
    if year is not None:
        statement = statement.where(p.c.due_year == year)
    if programme is not None:
        statement = statement.where(p.c.programme == programme)
    with deps.uow(readonly=True) as uow:
        return [_view(row) for row in uow.connection.execute(statement).mappings()]


def _view(row: RowMapping) -> EntryView:
    return EntryView(
        programme=row["programme"],
        key=row["key"],
        timeframe=row["timeframe"],
        due_year=row["due_year"],
        due_month=row["due_month"],
        due_recurring=row["due_recurring"],
        theme=row["theme"],
        audit_type=row["audit_type"],
        rationale=row["rationale"],
        evidence=tuple(json.loads(row["evidence"])),
        report_author=row["report_author"],
        sign_off=row["sign_off"],
        impact_monitoring=row["impact_monitoring"],
        audit_reference=row["reference"],
        audit_state=row["state"],
        signed_off_on=row["signed_off_on"] or row["round_signed_off_on"],
        starts_months_before_due=row["starts_months_before_due"],
        recurs_until=row["recurs_until"],
    )


def link_audit(deps: Deps, key: str, reference: str, *, programme: str | None = None) -> None:
    """Record that ``reference`` is the audit for entry ``key`` (for audits started by hand;
    for recurring work, its current time round's audit). Linking the same audit again is
    harmless; replacing another audit's link is refused."""
    with deps.uow(readonly=True) as uow:
        recurring = RecurringEntry.of(_entry(uow.connection, key, programme))
    if recurring is not None:
        link_this_time_round(deps, entry=recurring, reference=reference)
        return
    with deps.uow() as uow:
        entry = _entry(uow.connection, key, programme)
        audit_id = uow.connection.execute(
            select(t.audit.c.id).where(t.audit.c.reference == reference)
        ).scalar_one_or_none()
        if audit_id is None:
            raise NotFound("audit", reference)
        if entry["audit_id"] == audit_id:
            return
        if entry["audit_id"] is not None:
            raise _already_linked(uow.connection, key, entry["audit_id"])
        _claim(uow.connection, entry["id"], audit_id)
        uow.commit()


def start_from_programme(
    deps: Deps,
    *,
    key: str,
    lead: PersonKey,
    actor: PersonKey,
    agencies: Sequence[str] = (),
    started_on: date | None = None,
    programme: str | None = None,
) -> Fired:
    """Start the entry's audit (its type, its theme) and link it to the entry; for recurring
    work, the audit of its current time round."""
    with deps.uow(readonly=True) as uow:
        entry = _entry(uow.connection, key, programme)
        recurring = RecurringEntry.of(entry)
        if recurring is None and entry["audit_id"] is not None:
            raise _already_linked(uow.connection, key, entry["audit_id"])
    if recurring is not None:
        return start_this_time_round(
            deps, entry=recurring, lead=lead, actor=actor, agencies=agencies, started_on=started_on
        )
    # The entry names the request, so starting twice makes one audit: a retry after a failure
    # between the start and the link below finds the audit already made and links it, and two
    # coordinators starting the same entry at once get the same audit.
    fired = start_audit(
        deps,
        audit_type=entry["audit_type"],
        theme=short_theme(entry["theme"]),
        lead=lead,
        actor=actor,
        agencies=agencies,
        started_on=started_on,
        request_key=f"programme-entry:{entry['id']}",
    )
    # start_audit commits on its own, so the link is a second transaction.
    with deps.uow() as uow:
        audit_id = uow.connection.execute(
            select(t.audit.c.id).where(t.audit.c.reference == fired.reference)
        ).scalar_one()
        if not _claim(uow.connection, entry["id"], audit_id):
            linked = _entry(uow.connection, key, programme)["audit_id"]
            if linked != audit_id:
                raise _already_linked(uow.connection, key, linked)
        uow.commit()
    return fired


def _entry(connection: Connection, key: str, programme: str | None) -> RowMapping:
    statement = select(*ENTRY_COLUMNS, p.c.audit_id).where(p.c.key == key)
    if programme is not None:
        statement = statement.where(p.c.programme == programme)
    rows = connection.execute(statement).mappings().all()
    if not rows:
        raise NotFound("programme entry", key)
    if len(rows) > 1:
        names = ", ".join(sorted(r["programme"] for r in rows))
        raise InvalidInput(f"Programme entry '{key}' is in several programmes ({names}); name one.")
    return rows[0]


def _claim(connection: Connection, entry_id: int, audit_id: int) -> bool:
    """Link only an unlinked entry: the WHERE makes a second linker miss instead of overwrite."""
    result = connection.execute(
        update(p).where(p.c.id == entry_id, p.c.audit_id.is_(None)).values(audit_id=audit_id)
    )
    if result.rowcount != 1:
        return False
    take_entry_bodies(connection, entry_id=entry_id, audit_id=audit_id)
    return True


def _already_linked(connection: Connection, key: str, audit_id: int) -> InvalidInput:
    reference = connection.execute(
        select(t.audit.c.reference).where(t.audit.c.id == audit_id)
    ).scalar_one()
    return InvalidInput(
        f"Programme entry '{key}' already has audit {reference}; "
        f"carry on with that one ('oscp audit show {reference}')."
    )
