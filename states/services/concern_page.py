"""What the page of an audit's immediate-risk concerns shows its viewer, and which of its forms.

Everyone the page is for sees each concern's agency and status (raised, assurance due,
assured), as on the audit's page. The words and the assurance are shown only to those who
may read them (``concern_reads.on_audit_page``, which keeps every read). Whether the viewer
may raise a concern, or record assurance given another way, is the audit type's own rule:
the roles its ``raise_immediate_risk`` and ``record_assurance`` transitions name, from the
stage the audit is at; the engine checks the same again when the form is sent. Only a
coordinator may raise a concern nobody at the agency can be told of (``Permission.COORDINATE``),
so only a coordinator is offered the field that confirms it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Connection, select

from states.clock import as_utc, as_utc_or_none
from states.definitions.triggers import RAISE_IMMEDIATE_RISK, RECORD_ASSURANCE
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.rules.policy import Permission, allows, either
from states.services import concern_reads
from states.services.audits import compiled_for, roles_in_audit
from states.services.concern_reads import AuditConcerns
from states.services.deps import Deps
from states.services.moderation_page import Choice
from states.services.queries import EscalationView


@dataclass(frozen=True)
class ConcernsPage:
    reference: str
    stage: str  # the title of the audit's current stage
    # The agencies a concern may be raised with: those taking part, or else every one.
    agencies: tuple[Choice, ...]
    may_raise: bool
    raisers: str  # who may raise one, as a person reads it ("auditor, chair or coordinator")
    may_confirm_unreachable: bool
    may_assure: bool
    raised: tuple[EscalationView, ...]
    read: AuditConcerns


def concerns_page(deps: Deps, *, audit: AuditKey, as_person: PersonKey) -> ConcernsPage:
    """The audit's concerns as ``as_person`` may see them, and the forms they may use; the
    words, when they may read them, are a read the record keeps."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        viewer = store.load_actor(as_person)
        compiled = compiled_for(deps, store, row)
        raisers = _roles_of(deps, store, row, RAISE_IMMEDIATE_RISK)
        page = ConcernsPage(
            reference=row.reference,
            stage=compiled.definition.state(row.state).title,
            agencies=_agencies(uow.connection, row.id),
            may_raise=_may(deps, store, row, viewer, RAISE_IMMEDIATE_RISK),
            raisers=either(raisers) if raisers else "nobody",
            may_confirm_unreachable=allows(viewer.roles, Permission.COORDINATE),
            may_assure=_may(deps, store, row, viewer, RECORD_ASSURANCE),
            raised=_raised(uow.connection, row.id),
            read=AuditConcerns(False),
        )
    read = concern_reads.on_audit_page(deps, audit=row.reference, as_person=viewer.id)
    return replace(page, read=read)


def _roles_of(deps: Deps, store: AuditStore, row: AuditRow, trigger: str) -> frozenset[str]:
    """The roles the audit's type lets fire ``trigger`` from where the audit is (none when
    it cannot be fired from there: a closed audit raises no concern)."""
    compiled = compiled_for(deps, store, row)
    if trigger not in compiled.allowed_triggers(row.state):
        return frozenset()
    transition = compiled.transition(reference=row.reference, state=row.state, trigger=trigger)
    return frozenset(transition.roles)


def _may(deps: Deps, store: AuditStore, row: AuditRow, viewer: Actor, trigger: str) -> bool:
    held = roles_in_audit(deps, store, viewer, row)
    return bool(held & _roles_of(deps, store, row, trigger))


def _agencies(connection: Connection, audit_id: int) -> tuple[Choice, ...]:
    taking_part = select(t.participation.c.agency_id).where(t.participation.c.audit_id == audit_id)
    found = connection.execute(
        select(t.agency.c.code, t.agency.c.name)
        .where(t.agency.c.id.in_(taking_part))
        .order_by(t.agency.c.name)
    ).all()
    if not found:  # before any agency is asked to take part, a concern may go to any agency
        found = connection.execute(
            select(t.agency.c.code, t.agency.c.name)
            .where(t.agency.c.active.is_(True))
            .order_by(t.agency.c.name)
        ).all()
    return tuple(Choice(code, name) for code, name in found)


def _raised(connection: Connection, audit_id: int) -> tuple[EscalationView, ...]:
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
