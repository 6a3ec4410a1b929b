"""What the report editor and the sharing page read, each behind its own permission.

The editor is for those who may write the summary report (``Permission.WRITE_REPORT``), the
sharing page for the audit's organisers (``Permission.ORGANISE``): each read asks first, so a
page refuses someone outside the role (``PermissionDenied``) before it reads anything else.
The editor reads, in one transaction, the words of the current version, the figures they sit
beside, where the report stands (being written, gone for sign-off, signed off), the step that
sends it for sign-off from where the audit is, and what changed since the version members sent
back. The sharing page reads the products made from the signed-off version and what the audit
must share. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select

from states.clock import LONDON, as_utc_or_none
from states.definitions.graph import expand_sources
from states.definitions.model import AuditTypeDefinition
from states.errors import NotFound
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditRow, AuditStore
from states.persistence.vocabulary import ReportStatus
from states.rules.policy import Permission
from states.rules.report_changes import SectionChanges, report_changes
from states.rules.stages import Stages
from states.services.audit_access import permitted
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.freezing import Round, current_round
from states.services.report_data import Figures, figures_in
from states.services.report_store import PRODUCTS, StoredReport, frozen_summaries, latest
from states.services.reports import ReportWords
from states.services.shared_items import Sharing, sharing_of


class ReportStage(StrEnum):
    """Where the summary report stands, as its editor says it."""

    WRITING = "writing"
    AWAITING_SIGN_OFF = "awaiting_sign_off"
    SIGNED_OFF = "signed_off"
    FROZEN = "frozen"  # a type with no sign-off, its version frozen
    CLOSED = "closed"  # the audit has ended


@dataclass(frozen=True)
class Submission:
    """The step that sends the report for sign-off from where the audit is now."""

    trigger: str
    title: str
    needs_reason: bool  # a resubmission says what the new version answers


@dataclass(frozen=True)
class ReportDesk:
    reference: str
    audit_version: int
    stage: ReportStage
    words: ReportWords
    figures: Figures
    submission: Submission | None
    # The frozen version before this one (sent back for further assurance), and what the
    # current version changed in its words: empty for a first version.
    previous_version: int | None
    changes: tuple[SectionChanges, ...]


@dataclass(frozen=True)
class Product:
    """A product made from the signed-off summary (a letter is for one setting)."""

    kind: str
    agency: str | None  # the setting's code, for a feedback letter
    agency_name: str | None
    version: int
    frozen_at: datetime | None
    has_pdf: bool


@dataclass(frozen=True)
class SharingDesk:
    reference: str
    state_title: str  # where the audit is, as its type names the stage
    # Signed off (or a type with no sign-off): products are made and sharing recorded.
    publishable: bool
    summary_version: int | None  # the newest frozen summary, which products are made from
    products: tuple[Product, ...]  # made from that version
    sharing: Sharing
    today: date  # in London: the day a record of sharing defaults to


def require_writer(deps: Deps, *, audit: AuditKey, viewer: PersonKey) -> None:
    """``PermissionDenied`` unless ``viewer`` may write the audit's summary report."""
    with deps.uow(readonly=True) as uow:
        _require(deps, AuditStore(uow.connection), audit, viewer, Permission.WRITE_REPORT)


def require_organiser(deps: Deps, *, audit: AuditKey, viewer: PersonKey) -> None:
    """``PermissionDenied`` unless ``viewer`` organises the audit: asked before products are
    rendered, so nobody else makes the server draw a PDF only to be refused."""
    with deps.uow(readonly=True) as uow:
        _require(deps, AuditStore(uow.connection), audit, viewer, Permission.ORGANISE)


def report_desk(deps: Deps, *, audit: AuditKey, viewer: PersonKey) -> ReportDesk:
    """The editor's page for ``viewer``, who must be one of the report's writers."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = _require(deps, store, audit, viewer, Permission.WRITE_REPORT)
        compiled = compiled_for(deps, store, row)
        current = current_round(uow.connection, row, compiled.stages)
        figures = figures_in(deps, store, row)
        frozen = frozen_summaries(uow.connection, row.id, newest=2)
    editable = compiled.stages.can_edit(row.state) and not current.frozen
    previous = _previous(frozen, current)
    return ReportDesk(
        reference=row.reference,
        audit_version=row.version,
        stage=_stage(compiled.definition, compiled.stages, row.state, editable=editable),
        words=ReportWords(current.version, dict(current.narrative), editable),
        figures=figures,
        submission=_submission(compiled.definition, compiled.stages, row.state),
        previous_version=None if previous is None else previous.version,
        changes=() if previous is None else report_changes(previous.narrative, current.narrative),
    )


def sharing_desk(deps: Deps, *, audit: AuditKey, viewer: PersonKey) -> SharingDesk:
    """The sharing page for ``viewer``, who must be one of the audit's organisers."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = _require(deps, store, audit, viewer, Permission.ORGANISE)
        compiled = compiled_for(deps, store, row)
        newest = frozen_summaries(uow.connection, row.id, newest=1)
        version = newest[0].version if newest else None
        products = _products(store, row, version) if version is not None else ()
    return SharingDesk(
        reference=row.reference,
        state_title=compiled.definition.state(row.state).title,
        publishable=compiled.stages.can_publish(row.state),
        summary_version=version,
        products=products,
        sharing=sharing_of(deps, audit=row.reference),
        today=deps.clock.now().astimezone(LONDON).date(),
    )


def product_of(
    deps: Deps, *, audit: AuditKey, viewer: PersonKey, kind: str, agency: str | None = None
) -> StoredReport:
    """A product as made and frozen, for an organiser to read before it is shared."""
    if kind not in PRODUCTS:
        raise NotFound("kind of product", kind[:40])
    with deps.uow(readonly=True) as uow:
        _require(deps, AuditStore(uow.connection), audit, viewer, Permission.ORGANISE)
    found = latest(deps, audit=audit, kind=kind, agency=agency)
    if found is None:
        whom = f" for {agency}" if agency else ""
        raise NotFound(f"{kind.replace('_', ' ')}{whom} of audit", audit)
    return found


def _require(
    deps: Deps, store: AuditStore, audit: AuditKey, viewer: PersonKey, permission: Permission
) -> AuditRow:
    doing = "write the summary report" if permission == Permission.WRITE_REPORT else "share it"
    return permitted(deps, store, audit, viewer, may=permission, doing=doing).row


def _stage(
    definition: AuditTypeDefinition, stages: Stages, state: str, *, editable: bool
) -> ReportStage:
    if editable:
        return ReportStage.WRITING
    if state in definition.final_states:
        return ReportStage.CLOSED
    if not stages.has_sign_off:
        return ReportStage.FROZEN
    if stages.can_publish(state):
        return ReportStage.SIGNED_OFF
    return ReportStage.AWAITING_SIGN_OFF


def _submission(definition: AuditTypeDefinition, stages: Stages, state: str) -> Submission | None:
    """The way from ``state`` into a signing-off state, if there is one."""
    for step in definition.transitions:
        if (
            not step.internal
            and step.dest in stages.signing_off
            and state in expand_sources(definition, step.sources)
        ):
            return Submission(step.trigger, step.title, step.requires_reason)
    return None


def _previous(frozen: list[StoredReport], current: Round) -> StoredReport | None:
    """The newest frozen version older than the current one."""
    return next((f for f in frozen if f.version < current.version), None)


def _products(store: AuditStore, row: AuditRow, version: int) -> tuple[Product, ...]:
    r, a = t.report, t.agency
    found = store.connection.execute(
        select(r.c.kind, a.c.code, a.c.name, r.c.version, r.c.frozen_at, r.c.pdf.is_not(None))
        .outerjoin(a, a.c.id == r.c.agency_id)
        .where(
            r.c.audit_id == row.id,
            r.c.kind.in_(PRODUCTS),
            r.c.status == ReportStatus.FROZEN,
            r.c.version == version,
        )
        .order_by(r.c.kind, a.c.name)
    )
    made = [
        Product(kind, code, name, v, as_utc_or_none(at), bool(pdf))
        for kind, code, name, v, at, pdf in found
    ]
    # In the order the framework lists them: briefing, learning on a page, letters, to all.
    return tuple(sorted(made, key=lambda p: PRODUCTS.index(p.kind)))
