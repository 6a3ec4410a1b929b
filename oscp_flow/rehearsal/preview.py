"""Preview: what an audit will send and when, before anything is sent for real.

Everything runs on a throw-away SQLite database and a clock that skips from one due moment
to the next. For a running audit it is a copy of the engine's database, and the preview shows
the current stage's deadline and every reminder and escalation if nobody acts. For an audit
type before starting it, a new audit with the demonstration partnership goes through its
whole cycle, each stage finished on its deadline, so every deadline and message appears.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from oscp_flow.rehearsal.demo import email, load_demo_partnership
from oscp_flow.rehearsal.walkthrough import Walker
from states.clock import LONDON, FakeClock
from states.definitions.graph import main_path
from states.errors import InvalidInput
from states.persistence.scratch import copyable, scratch_database
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services import audits, queries
from states.services import preview as reads
from states.services.deps import Deps
from states.services.sweep import sweep


@dataclass(frozen=True)
class PreviewLine:
    at: datetime
    what: str
    to: str
    detail: str


def preview_audit(deps: Deps, *, audit: str) -> list[PreviewLine]:
    if not copyable(deps.uow.engine):
        raise InvalidInput(
            "Previewing a running audit copies the embedded SQLite database; with PostgreSQL, "
            "preview the audit type instead (oscp audit preview --type TYPE)."
        )
    with scratch_database(copy_of=deps.uow.engine) as engine:
        clock = FakeClock(deps.clock.now())
        copy = Deps(UnitOfWorkFactory(engine), deps.catalogue, clock, deps.calendar)
        status = queries.audit_status(copy, audit=audit, as_person=reads.lead_of(copy, audit=audit))
        started = reads.last_outbox_id(copy)
        for due in reads.pending_rungs(copy, audit=status.reference):
            clock.set(due)
            sweep(copy)
        return _lines(copy, status.reference, after_outbox=started, open_only=True)


def preview_type(catalogue: Catalogue, *, audit_type: str, start: datetime) -> list[PreviewLine]:
    definition = catalogue.current(audit_type).definition
    with scratch_database() as engine:
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
    for rung in reads.pending_rungs(deps, audit=reference):
        if rung > due:
            break
        clock.set(rung)
        sweep(deps)
    clock.set(due)


def _detail(message: reads.QueuedMessage) -> str:
    """The rung, and whose return it is about: the agency named, the agency a return link
    asks, or the agencies and settings nobody could ask."""
    context = message.context
    agency = context.get("agency") or message.for_agency or context.get("agencies")
    return " ".join(filter(None, (context.get("step"), agency)))


def _lines(deps: Deps, reference: str, *, after_outbox: int, open_only: bool) -> list[PreviewLine]:
    status = queries.audit_status(
        deps, audit=reference, as_person=reads.lead_of(deps, audit=reference)
    )
    lines = [
        PreviewLine(d.due_at, "deadline", "", f"{d.name} ({d.state})")
        for d in status.deadlines
        if not open_only or d.met_at is None
    ]
    lines.extend(
        PreviewLine(
            message.at,
            message.kind,
            f"{message.name} <{message.email}>",
            _detail(message),
        )
        for message in reads.queued_messages(deps, audit=reference, after_outbox=after_outbox)
    )
    return sorted(lines, key=lambda line: (line.at, line.what, line.to))
