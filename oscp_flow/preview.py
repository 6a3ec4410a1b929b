"""Preview: what an audit will send and when, before anything is sent for real.

Everything runs on a throw-away SQLite database and a clock that skips from one due moment
to the next. For a running audit it is a copy of the engine's database, and the preview shows
the current stage's deadline and every reminder and escalation if nobody acts. For an audit
type before starting it, a new audit with the demonstration partnership goes through its
whole cycle, each stage finished on its deadline, so every deadline and message appears.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url

from oscp_flow.demo import email, load_demo_partnership
from oscp_flow.walkthrough import Walker, main_path
from states.clock import LONDON, FakeClock, as_utc
from states.errors import InvalidInput
from states.persistence import tables as t
from states.persistence.db import make_engine
from states.persistence.migrate import upgrade
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services import audits, queries
from states.services.deps import Deps
from states.services.sweep import sweep


@dataclass(frozen=True)
class PreviewLine:
    at: datetime
    what: str
    to: str
    detail: str


@contextmanager
def _scratch(source: Engine | None) -> Iterator[Engine]:
    """A temporary SQLite database: a copy of ``source`` (SQLite only), or a new one."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "preview.db"
        if source is not None:
            _copy_sqlite(source, path)
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def _copy_sqlite(source: Engine, target: Path) -> None:
    url = make_url(str(source.url))
    if url.get_backend_name() != "sqlite" or not url.database:
        raise InvalidInput(
            "Previewing a running audit copies the embedded SQLite database; with PostgreSQL, "
            "preview the audit type instead (oscp audit preview --type TYPE)."
        )
    with sqlite3.connect(url.database) as live, sqlite3.connect(target) as copy:
        live.backup(copy)


def preview_audit(deps: Deps, *, audit: str) -> list[PreviewLine]:
    with _scratch(deps.uow.engine) as engine:
        clock = FakeClock(deps.clock.now())
        copy = Deps(UnitOfWorkFactory(engine), deps.catalogue, clock, deps.calendar)
        status = queries.audit_status(copy, audit=audit, as_person=_lead(copy, audit))
        started = _last_outbox_id(copy)
        for due in _pending_rungs(copy, status.reference):
            clock.set(due)
            sweep(copy)
        return _lines(copy, status.reference, after_outbox=started, open_only=True)


def preview_type(catalogue: Catalogue, *, audit_type: str, start: datetime) -> list[PreviewLine]:
    definition = catalogue.current(audit_type).definition
    with _scratch(None) as engine:
        clock = FakeClock(start)
        deps = Deps(UnitOfWorkFactory(engine), catalogue, clock)
        load_demo_partnership(deps)
        reference = audits.start_audit(
            deps,
            audit_type=audit_type,
            theme="Preview",
            lead=email("chair"),
            actor=email("coordinator"),
        ).reference
        walker = Walker(deps, reference, start.astimezone(LONDON).date())
        for step in main_path(definition, definition.initial_state):
            _wait_for_deadline(deps, clock, reference)
            for _ in walker.walk(definition, goal=step.dest):
                pass
        return _lines(deps, reference, after_outbox=0, open_only=False)


def _wait_for_deadline(deps: Deps, clock: FakeClock, reference: str) -> None:
    """Skip time through the open deadline's reminders; the work is done on the deadline."""
    status = queries.audit_status(deps, audit=reference, as_person=email("coordinator"))
    open_deadlines = [d for d in status.deadlines if d.met_at is None]
    if not open_deadlines:
        return
    due = open_deadlines[-1].due_at
    for rung in _pending_rungs(deps, reference):
        if rung > due:
            break
        clock.set(rung)
        sweep(deps)
    clock.set(due)


def _lead(deps: Deps, reference: str) -> int:
    with deps.uow(readonly=True) as uow:
        return int(
            uow.connection.execute(
                select(t.audit.c.lead_id).where(t.audit.c.reference == reference)
            ).scalar_one()
        )


def _last_outbox_id(deps: Deps) -> int:
    with deps.uow(readonly=True) as uow:
        found = uow.connection.execute(select(t.outbox.c.id).order_by(t.outbox.c.id.desc())).first()
    return 0 if found is None else int(found[0])


def _pending_rungs(deps: Deps, reference: str) -> list[datetime]:
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.reminder.c.due_at)
            .join(t.audit, t.audit.c.id == t.reminder.c.audit_id)
            .where(t.audit.c.reference == reference, t.reminder.c.processed_at.is_(None))
            .order_by(t.reminder.c.due_at)
        ).scalars()
        return [as_utc(due) for due in rows]


def _lines(deps: Deps, reference: str, *, after_outbox: int, open_only: bool) -> list[PreviewLine]:
    status = queries.audit_status(deps, audit=reference, as_person=_lead(deps, reference))
    lines = [
        PreviewLine(d.due_at, "deadline", "", f"{d.name} ({d.state})")
        for d in status.deadlines
        if not open_only or d.met_at is None
    ]
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(
                t.outbox.c.created_at,
                t.outbox.c.kind,
                t.person.c.name,
                t.person.c.email,
                t.outbox.c.context,
            )
            .join(t.person, t.person.c.id == t.outbox.c.recipient_id)
            .join(t.audit, t.audit.c.id == t.outbox.c.audit_id)
            .where(t.audit.c.reference == reference, t.outbox.c.id > after_outbox)
        )
        for at, kind, name, address, context in rows:
            detail = json.loads(context)
            lines.append(
                PreviewLine(
                    as_utc(at),
                    kind,
                    f"{name} <{address}>",
                    " ".join(filter(None, (detail.get("step"), detail.get("agency")))),
                )
            )
    return sorted(lines, key=lambda line: (line.at, line.what, line.to))
