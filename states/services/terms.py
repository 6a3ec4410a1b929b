"""An audit's terms of reference as data: scope, time window, methodology, tool, sample
rationale and timetable.

The framework leaves the methodology to the learning hub "on a case-by-case basis" (s.2) and
asks single-agency audits to follow "the terms of reference for that audit" (s.4) without
listing what they hold: these six parts, and recording them before the terms are agreed (the
``terms_recorded`` gate), are the partnership's own choice. They are recorded while the audit
is being planned and amended there as often as needed, each change an event in the audit's
history; once planning is over they are what was agreed, shown on the audit and in the
report's methodology section.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from states.clock import as_utc
from states.definitions.stage_names import Stage
from states.errors import InvalidInput
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.rules.policy import Permission
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.work import write_to_audit


@dataclass(frozen=True)
class Terms:
    """The parts of the terms of reference, each as the chair or coordinator wrote it."""

    scope: str
    time_window: str
    methodology: str
    tool: str
    sample_rationale: str
    timetable: str


# How each part is named to a person ("Sample rationale"), in the order they are shown.
PARTS: dict[str, str] = {f.name: f.name.replace("_", " ").capitalize() for f in fields(Terms)}


@dataclass(frozen=True)
class Recorded:
    terms: Terms
    recorded_by: str
    recorded_at: datetime


def record_terms(deps: Deps, *, audit: AuditKey, actor: PersonKey, **given: str | None) -> Recorded:
    """Record (or amend) the terms while the audit is being planned. The first recording
    needs every part; the tool, when not given, is the audit's own tool. Parts not given
    when amending stay as they were."""
    unknown = sorted(set(given) - set(PARTS))
    if unknown:
        raise InvalidInput(f"The terms of reference have no part called {unknown[0]}.")
    changes = {k: v.strip() for k, v in given.items() if v is not None}
    blank = [PARTS[k] for k, v in changes.items() if not v]
    if blank:
        raise InvalidInput(f"{blank[0]} cannot be left empty in the terms of reference.")

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> Recorded:
        c = uow.connection
        store = AuditStore(c)
        state = compiled_for(deps, store, row).definition.state(row.state)
        if state.stage != Stage.PLANNING:
            raise InvalidInput(
                f"Audit {row.reference} is past planning ({state.title}): its terms of "
                "reference are what was agreed."
            )
        before = _read(c, row.id)
        merged = _defaults(deps, store, row) if before is None else asdict(before)
        merged.update(changes)
        missing = [PARTS[k] for k in PARTS if not merged.get(k)]
        if missing:
            raise InvalidInput(
                "The terms of reference need every part; still to give: "
                + ", ".join(m.lower() for m in missing)
                + "."
            )
        values = {**merged, "recorded_by": who.id, "recorded_at": now}
        if before is None:
            c.execute(insert(t.terms), {**values, "audit_id": row.id})
        else:
            c.execute(update(t.terms).where(t.terms.c.audit_id == row.id).values(**values))
        return Recorded(Terms(**merged), who.name, now)

    return write_to_audit(deps, audit, actor, "record_terms", may=Permission.ORGANISE, work=work)


def _defaults(deps: Deps, store: AuditStore, row: AuditRow) -> dict[str, str]:
    if row.tool_hash is None:
        return {}
    return {"tool": deps.catalogue.tool_by_hash(row.tool_hash, store.read_tool_snapshot).title}


def _read(c: Connection, audit_id: int) -> Terms | None:
    found = c.execute(
        select(*(t.terms.c[name] for name in PARTS)).where(t.terms.c.audit_id == audit_id)
    ).first()
    return None if found is None else Terms(*found)


def read_terms(deps: Deps, *, audit: AuditKey) -> Recorded | None:
    """The audit's terms of reference, with who last recorded them and when; ``None`` when
    none are recorded."""
    with deps.uow(readonly=True) as uow:
        row = AuditStore(uow.connection).load_audit(audit)
        return terms_of(uow.connection, row.id)


def terms_of(c: Connection, audit_id: int) -> Recorded | None:
    terms = _read(c, audit_id)
    if terms is None:
        return None
    by, at = c.execute(
        select(t.person.c.name, t.terms.c.recorded_at)
        .join(t.person, t.person.c.id == t.terms.c.recorded_by)
        .where(t.terms.c.audit_id == audit_id)
    ).one()
    return Recorded(terms, by, as_utc(at))
