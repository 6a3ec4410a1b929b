"""Summary reports and the products made from them: the chair's narrative, then products.

The engine only stores and checks here; rendering (Jinja2, WeasyPrint) lives in
``notifications.reports``. The chair (the audit's lead) or the coordinator writes the four
sections of the framework's "Lessons and actions" while the report is being drafted (on a type
an agency raises, the agency's leads write it too: it is their response). Submitting it for
sign-off freezes that version (``states.services.freezing``): its sections, the figures it was
built from and their hash are stored, and the database refuses any later change to that row;
only a request for further assurance opens the next version. Products (7-minute briefing,
learning on a page, Section 175 letters, the summary to all settings) are made from the
signed-off summary only, and frozen with their HTML and PDF as they are made.

Every write locks the audit, bumps its version and appends an event, like every other write
to an audit's data; events name the section, kind and hash, never the narrative's words.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, update

from states.errors import InvalidInput
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.persistence.vocabulary import ReportStatus
from states.rules.policy import Permission
from states.rules.stages import Stages
from states.services.deep_dive import letter_setting
from states.services.deps import Deps
from states.services.freezing import current_round, stages_of
from states.services.report_data import Figures, gather_figures
from states.services.report_store import (
    PRODUCTS,
    SECTIONS,
    SUMMARY,
    Narrative,
    StoredReport,
    html_hash,
    latest_frozen,
    stored,
)
from states.services.work import write_to_audit

MAX_SECTION = 20_000


@dataclass(frozen=True)
class SummarySource:
    """What a summary report would show now: its figures and the narrative of ``version``."""

    figures: Figures
    narrative: Narrative
    version: int
    editable: bool


@dataclass(frozen=True)
class _Freezing:
    """One product frozen, inside the locked audit's transaction."""

    c: Connection
    row: AuditRow
    stages: Stages
    stamp: dict[str, object]  # the columns every frozen row gets


def checked_section(section: str, text: str) -> str:
    if section not in SECTIONS:
        raise InvalidInput(f"A summary report section is one of: {', '.join(SECTIONS)}.")
    if len(text) > MAX_SECTION:
        raise InvalidInput(f"Keep each section under {MAX_SECTION:,} characters.")
    if "\x00" in text:
        # PostgreSQL cannot store it in text, and nobody types it on purpose.
        raise InvalidInput("The text holds a character that cannot be stored; paste it again.")
    return text.strip()


def save_narrative(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, section: str, text: str
) -> int:
    """Save one section of the summary's draft narrative; returns the version written."""
    return save_sections(deps, audit=audit, actor=actor, sections={section: text})


def save_sections(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, sections: Mapping[str, str]
) -> int:
    """Save some or all sections of the summary's draft at once (the editor's one form), as
    one change with one event; returns the version written."""
    if not sections:
        raise InvalidInput(f"Name a section to save: {', '.join(SECTIONS)}.")
    words = {section: checked_section(section, text) for section, text in sections.items()}

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> int:
        c = uow.connection
        stages = stages_of(deps, AuditStore(c), row)
        current = current_round(c, row, stages)
        if not stages.can_edit(row.state) or current.frozen:
            raise InvalidInput(_closed_to_edits(row, stages, current.version))
        narrative = json.dumps({**current.narrative, **words})
        written = {"narrative": narrative, "updated_at": now, "updated_by": who.id}
        if current.draft_id is None:
            c.execute(
                insert(t.report),
                {"audit_id": row.id, "kind": SUMMARY, "version": current.version} | written,
            )
        else:
            c.execute(update(t.report).where(t.report.c.id == current.draft_id).values(written))
        return current.version

    named = "', '".join(words)
    return write_to_audit(
        deps,
        audit,
        actor,
        "save_report_narrative",
        may=Permission.WRITE_REPORT,
        work=work,
        reason=f"Summary report section{'s' if len(words) > 1 else ''} '{named}' saved",
    )


def _closed_to_edits(row: AuditRow, stages: Stages, version: int) -> str:
    if stages.has_sign_off and row.state in stages.after_sign_off:
        return (
            f"Audit {row.reference}'s summary report was signed off as version {version}, so "
            "it can no longer change: its briefing, learning on a page and letters are made "
            "from that version."
        )
    if stages.has_sign_off:
        return (
            f"Audit {row.reference} is '{row.state}' and its summary report (version "
            f"{version}) has gone for sign-off, so it can no longer change; if members ask "
            "for further assurance, the next version can be written then."
        )
    return (
        f"Version {version} of audit {row.reference}'s summary report is frozen, so it can "
        "no longer change."
    )


@dataclass(frozen=True)
class ReportWords:
    """The words of the summary's current version, without its figures: what the audit page
    shows beside the sign-off decisions."""

    version: int
    sections: Mapping[str, str]
    editable: bool


def narrative_of(deps: Deps, *, audit: AuditKey) -> ReportWords:
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        stages = stages_of(deps, store, row)
        current = current_round(uow.connection, row, stages)
    editable = stages.can_edit(row.state) and not current.frozen
    return ReportWords(current.version, dict(current.narrative), editable)


def summary_source(deps: Deps, *, audit: AuditKey) -> SummarySource:
    """The figures now, with the narrative the chair has written for the current version."""
    figures = gather_figures(deps, audit=audit)
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        stages = stages_of(deps, store, row)
        current = current_round(uow.connection, row, stages)
    editable = stages.can_edit(row.state) and not current.frozen
    return SummarySource(figures, current.narrative, current.version, editable)


def freeze_product(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    kind: str,
    html: str,
    pdf: bytes | None,
    agency: str | None = None,
) -> StoredReport:
    """Store a product as rendered, for good: made from the signed-off summary, with its
    version. (The summary itself is frozen as it is submitted: ``states.services.freezing``.)"""
    if kind not in PRODUCTS:
        raise InvalidInput(f"A product is one of: {', '.join(PRODUCTS)}.")
    if not html.strip():
        raise InvalidInput("There is no rendered report to freeze.")
    digest = html_hash(html)

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> int:
        c = uow.connection
        stamp: dict[str, object] = {
            "status": ReportStatus.FROZEN,
            "html": html,
            "pdf": pdf,
            "content_hash": digest,
            "frozen_at": now,
            "frozen_by": who.id,
            "audit_version": row.version + 1,  # the version this write gives the audit
            "updated_at": now,
            "updated_by": who.id,
        }
        return _freeze_product(
            _Freezing(c, row, stages_of(deps, AuditStore(c), row), stamp), kind, agency
        )

    where = f" for {agency}" if agency else ""
    report_id = write_to_audit(
        deps,
        audit,
        actor,
        "freeze_report",
        may=Permission.ORGANISE,  # products are the organisers' to make
        work=work,
        reason=f"Froze the {kind.replace('_', ' ')}{where} (sha256 {digest[:16]})",
    )
    with deps.uow(readonly=True) as uow:
        return stored(uow.connection, report_id)


def _freeze_product(f: _Freezing, kind: str, agency: str | None) -> int:
    row = f.row
    if not f.stages.can_publish(row.state):
        raise InvalidInput(
            f"Audit {row.reference} is '{row.state}': briefings, learning on a page and "
            "letters are made from the signed-off summary report."
        )
    summary = latest_frozen(f.c, row.id, SUMMARY, None)
    if summary is None:
        raise InvalidInput(f"Audit {row.reference} has no frozen summary report to work from.")
    agency_id = product_agency(f.c, row, kind, agency)
    if latest_frozen(f.c, row.id, kind, agency_id, version=summary.version) is not None:
        raise InvalidInput(
            f"The {kind.replace('_', ' ')} of audit {row.reference} for version "
            f"{summary.version} of the summary is already made and frozen."
        )
    values = {
        "audit_id": row.id,
        "kind": kind,
        "agency_id": agency_id,
        "agency_key": agency_id or 0,
        "version": summary.version,
        "narrative": summary.narrative,
        "figures": summary.figures,
        "source_report_id": summary.id,
    }
    statement = insert(t.report).returning(t.report.c.id)
    return int(f.c.execute(statement, values | f.stamp).scalar_one())


def product_agency(c: Connection, row: AuditRow, kind: str, agency: str | None) -> int | None:
    """A letter goes to one setting in the deep-dive sample, or one agency given feedback
    (Section 11); every other report to everyone."""
    if kind != "feedback_letter":
        if agency is not None:
            raise InvalidInput(f"A {kind.replace('_', ' ')} is for everyone, not one agency.")
        return None
    if agency is None:
        raise InvalidInput("Say which setting the feedback letter is for.")
    return letter_setting(c, row.id, agency)
