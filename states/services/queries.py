"""Read-only views of audits for people: where an audit is, what could happen next, history.

A decade-old partnership's busy audit records thousands of steps (each return submitted is
one), so the audit page reads its history in parts: the changes of stage and the latest few
steps (``history_summary``), and the whole of it a page at a time (``history_page``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from states.clock import as_utc, as_utc_or_none
from states.errors import GateFailure
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditStore
from states.rules.policy import Permission, require
from states.services.audits import compiled_for, gate_context, roles_in_audit, tool_is_per_case
from states.services.deps import Deps

# Steps of its history the audit page shows, newest first; the history page has them all.
RECENT_STEPS = 20
HISTORY_PER_PAGE = 100


@dataclass(frozen=True)
class NextStep:
    trigger: str
    title: str
    dest: str | None
    blocked_by: tuple[GateFailure, ...]


@dataclass(frozen=True)
class DeadlineView:
    name: str
    state: str
    due_at: datetime
    met_at: datetime | None


@dataclass(frozen=True)
class EscalationView:
    """An immediate-risk concern as the audit page shows it: whose, when, and whether assured.
    The concern's words are not included: they stay with the escalation record."""

    id: int
    agency: str
    raised_at: datetime
    assurance_due_at: datetime | None
    assured_at: datetime | None


@dataclass(frozen=True)
class AuditStatus:
    reference: str
    audit_type: str
    title: str
    theme: str
    state: str
    state_title: str
    version: int
    lead: str
    definition_hash: str
    next_steps: tuple[NextStep, ...]
    deadlines: tuple[DeadlineView, ...]
    escalations: tuple[EscalationView, ...] = ()


@dataclass(frozen=True)
class EventView:
    version: int
    at: datetime
    actor: str
    trigger: str
    from_state: str
    to_state: str
    reason: str | None


def require_reader(deps: Deps, *, audit: AuditKey, person: PersonKey) -> None:
    """``PermissionDenied`` unless ``person`` may read the audit's page: a signed-in auditor
    or chair reads only the audits they audit or chair (``AuditStore.roles_in``)."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        roles = roles_in_audit(deps, store, store.load_actor(person), row)
    require(
        roles,
        Permission.READ_AUDIT,
        refusal="Only coordinators, the learning hub, and the audit's own chair and auditors "
        "may read an audit's page.",
    )


def audit_status(deps: Deps, *, audit: AuditKey, as_person: PersonKey) -> AuditStatus:
    """Gate status is shown as it stands for ``as_person``, since roles decide some gates."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        viewer = store.load_actor(as_person)
        compiled = compiled_for(deps, store, row)
        steps = []
        for trigger in compiled.allowed_triggers(row.state):
            context = gate_context(
                compiled,
                store,
                row,
                viewer,
                trigger=trigger,
                reason="(preview)",
                per_case=tool_is_per_case(deps, store, row),
            )
            step = context.transition
            failures = tuple(compiled.gate_failures(context))
            steps.append(NextStep(trigger, step.title, step.dest, failures))
        deadlines = uow.connection.execute(
            select(t.deadline.c.name, t.deadline.c.state, t.deadline.c.due_at, t.deadline.c.met_at)
            .where(t.deadline.c.audit_id == row.id)
            .order_by(t.deadline.c.starts_at, t.deadline.c.id)
        ).all()
        lead = uow.connection.execute(
            select(t.person.c.name).where(t.person.c.id == row.lead_id)
        ).scalar_one()
        escalations = _escalations(uow.connection, row.id)
    definition = compiled.definition
    return AuditStatus(
        row.reference,
        row.audit_type,
        definition.title,
        row.theme,
        row.state,
        definition.state(row.state).title,
        row.version,
        lead,
        row.definition_hash,
        tuple(steps),
        tuple(DeadlineView(n, s, as_utc(d), as_utc_or_none(m)) for n, s, d, m in deadlines),
        escalations,
    )


def _escalations(connection: Connection, audit_id: int) -> tuple[EscalationView, ...]:
    e = t.escalation
    rows = connection.execute(
        select(e.c.id, t.agency.c.name, e.c.raised_at, e.c.assurance_due_at, e.c.assured_at)
        .join(t.agency, t.agency.c.id == e.c.agency_id)
        .where(e.c.audit_id == audit_id)
        .order_by(e.c.raised_at, e.c.id)
    )
    return tuple(
        EscalationView(i, name, as_utc(raised), as_utc_or_none(due), as_utc_or_none(assured))
        for i, name, raised, due, assured in rows
    )


def history(deps: Deps, *, audit: AuditKey) -> list[EventView]:
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        return [
            EventView(
                e.version, as_utc(e.at), e.actor, e.trigger, e.from_state, e.to_state, e.reason
            )
            for e in store.events(row.id)
        ]


@dataclass(frozen=True)
class HistorySummary:
    """What the audit page shows of the history: every change of stage (oldest first), the
    latest steps of any kind (newest first), and how many steps there are in all."""

    reference: str
    stage_changes: tuple[EventView, ...]
    recent: tuple[EventView, ...]
    total: int

    @property
    def visited(self) -> frozenset[str]:
        """Every state the audit has been in (each was entered by a change of stage)."""
        return frozenset(s for e in self.stage_changes for s in (e.from_state, e.to_state) if s)


@dataclass(frozen=True)
class HistoryPage:
    """One page of the whole history, newest first."""

    reference: str
    events: tuple[EventView, ...]
    total: int
    page: int  # from 1
    pages: int  # at least 1, for an audit's history is never empty
    per_page: int


def history_summary(deps: Deps, *, audit: AuditKey, recent: int | None = None) -> HistorySummary:
    """The latest ``recent`` steps (``RECENT_STEPS`` unless said) and every change of stage."""
    e = t.event
    recent = recent or RECENT_STEPS
    with deps.uow(readonly=True) as uow:
        row = AuditStore(uow.connection).load_audit(audit)
        steps = _steps(row.id)
        changes = steps.where(e.c.from_state != e.c.to_state).order_by(e.c.version)
        latest = steps.order_by(e.c.version.desc()).limit(recent)
        return HistorySummary(
            row.reference,
            _views(uow.connection, changes),
            _views(uow.connection, latest),
            _count(uow.connection, row.id),
        )


def history_page(
    deps: Deps, *, audit: AuditKey, page: int = 1, per_page: int | None = None
) -> HistoryPage:
    """The ``page``-th page (from 1; past the last, the last) of the audit's steps,
    ``per_page`` of them (``HISTORY_PER_PAGE`` unless said)."""
    per_page = per_page or HISTORY_PER_PAGE
    with deps.uow(readonly=True) as uow:
        row = AuditStore(uow.connection).load_audit(audit)
        total = _count(uow.connection, row.id)
        pages = max(1, -(-total // per_page))
        page = min(max(page, 1), pages)
        # Along the (audit, version) key's index: no sort, and no step read but the page's.
        shown = (
            _steps(row.id)
            .order_by(t.event.c.version.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        events = _views(uow.connection, shown)
    return HistoryPage(row.reference, events, total, page, pages, per_page)


def _steps(audit_id: int) -> Select[Any]:
    e = t.event
    return (
        select(e.c.version, e.c.at, t.person.c.name, e.c.trigger)
        .add_columns(e.c.from_state, e.c.to_state, e.c.reason)
        .join(t.person, t.person.c.id == e.c.actor_id)
        .where(e.c.audit_id == audit_id)
    )


def _views(connection: Connection, statement: Select[Any]) -> tuple[EventView, ...]:
    return tuple(
        EventView(version, as_utc(at), actor, trigger, from_state, to_state, reason)
        for version, at, actor, trigger, from_state, to_state, reason in connection.execute(
            statement
        )
    )


def _count(connection: Connection, audit_id: int) -> int:
    statement = select(func.count()).select_from(t.event).where(t.event.c.audit_id == audit_id)
    return int(connection.execute(statement).scalar_one())


@dataclass(frozen=True)
class AuditSummary:
    reference: str
    audit_type: str
    theme: str
    state: str
    version: int
    started_on: object


def list_audits(deps: Deps, *, audit_type: str | None = None) -> list[AuditSummary]:
    statement = select(
        t.audit.c.reference,
        t.audit.c.audit_type,
        t.audit.c.theme,
        t.audit.c.state,
        t.audit.c.version,
        t.audit.c.started_on,
    ).order_by(t.audit.c.started_at, t.audit.c.id)
    if audit_type is not None:
        statement = statement.where(t.audit.c.audit_type == audit_type)
    with deps.uow(readonly=True) as uow:
        return [AuditSummary(*r) for r in uow.connection.execute(statement)]


def has_audits(deps: Deps) -> bool:
    """Whether any audit was ever started on this engine."""
    with deps.uow(readonly=True) as uow:
        return uow.connection.execute(select(t.audit.c.id).limit(1)).first() is not None


def audit_type_of(deps: Deps, *, audit: AuditKey) -> str:
    """The type of an audit, for labels (a flow run's tags); says nothing else about it."""
    with deps.uow(readonly=True) as uow:
        return AuditStore(uow.connection).load_audit(audit).audit_type
