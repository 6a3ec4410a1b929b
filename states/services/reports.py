"""Summary reports and the products made from them: the chair's narrative, then freezing.

The engine only stores and checks here; rendering (Jinja2, WeasyPrint) lives in
``notifications.reports``. The chair (the audit's lead) or the coordinator writes the four
sections of the framework's "Lessons and actions" while the report is being drafted; once
submitted for sign-off the report is frozen: its HTML, PDF, the SHA-256 of the HTML and the
figures it showed are stored, and the database refuses any later change to that row. A
second freeze is refused unless sign-off was refused and further assurance requested since,
which opens the next version. Products (7-minute briefing, learning on a page, Section 175
letters, the summary to all settings) are made from the signed-off summary only.

Every write locks the audit, bumps its version and appends an event, like every other write
to an audit's data; events name the section, kind and hash, never the narrative's words.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from states.errors import InvalidInput
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.persistence.vocabulary import ReportStatus
from states.rules.policy import Permission
from states.rules.stages import Stages
from states.services.audits import compiled_for
from states.services.deep_dive import deep_dive_setting
from states.services.deps import Deps
from states.services.report_data import Figures, gather_figures
from states.services.report_store import (
    KINDS,
    SECTIONS,
    SUMMARY,
    Narrative,
    StoredReport,
    empty_narrative,
    html_hash,
    latest_frozen,
    parse_narrative,
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
class _Round:
    """The summary's current version: drafted, frozen, or reopened by further assurance."""

    version: int
    draft_id: int | None
    narrative: Narrative
    frozen: bool  # this version is frozen: no more edits, no second freeze


@dataclass(frozen=True)
class _Freezing:
    """One freeze, inside the locked audit's transaction."""

    c: Connection
    row: AuditRow
    stages: Stages
    stamp: dict[str, object]  # the columns every frozen row gets


def stages_of(deps: Deps, store: AuditStore, row: AuditRow) -> Stages:
    return compiled_for(deps, store, row).stages


def _round(c: Connection, row: AuditRow, stages: Stages) -> _Round:
    r = t.report
    found = c.execute(
        select(r.c.id, r.c.version, r.c.status, r.c.narrative, r.c.audit_version)
        .where(r.c.audit_id == row.id, r.c.kind == SUMMARY)
        .order_by(r.c.version.desc())
    ).all()
    frozen = next((f for f in found if f.status == ReportStatus.FROZEN), None)
    if frozen is None:
        version = 1
    elif _refused_since(c, row.id, stages, frozen.audit_version):
        version = frozen.version + 1
    else:
        return _Round(frozen.version, None, parse_narrative(frozen.narrative), frozen=True)
    draft = next((f for f in found if f.version == version), None)
    if draft is not None:
        return _Round(version, draft.id, parse_narrative(draft.narrative), frozen=False)
    # A reopened report starts from the words that were refused, not from a blank page.
    start = empty_narrative() if frozen is None else parse_narrative(frozen.narrative)
    return _Round(version, None, start, frozen=False)


def _refused_since(c: Connection, audit_id: int, stages: Stages, version: int) -> bool:
    """Was sign-off refused (further assurance requested) after the audit reached ``version``?"""
    e = t.event
    statement = select(e.c.id).where(
        e.c.audit_id == audit_id,
        e.c.version > version,
        e.c.trigger.in_(sorted(stages.refusal_triggers)),
    )
    return c.execute(statement).first() is not None


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
    text = checked_section(section, text)

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> int:
        c = uow.connection
        stages = stages_of(deps, AuditStore(c), row)
        current = _round(c, row, stages)
        if not stages.can_edit(row.state) or current.frozen:
            raise InvalidInput(
                f"Audit {row.reference} is '{row.state}' and its summary report "
                f"(version {current.version}) has gone for sign-off, so it can no longer change."
            )
        narrative = json.dumps({**current.narrative, section: text})
        written = {"narrative": narrative, "updated_at": now, "updated_by": who.id}
        if current.draft_id is None:
            c.execute(
                insert(t.report),
                {"audit_id": row.id, "kind": SUMMARY, "version": current.version} | written,
            )
        else:
            c.execute(update(t.report).where(t.report.c.id == current.draft_id).values(written))
        return current.version

    return write_to_audit(
        deps,
        audit,
        actor,
        "save_report_narrative",
        may=Permission.ORGANISE,
        work=work,
        reason=f"Summary report section '{section}' saved",
    )


def summary_source(deps: Deps, *, audit: AuditKey) -> SummarySource:
    """The figures now, with the narrative the chair has written for the current version."""
    figures = gather_figures(deps, audit=audit)
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        stages = stages_of(deps, store, row)
        current = _round(uow.connection, row, stages)
    editable = stages.can_edit(row.state) and not current.frozen
    return SummarySource(figures, current.narrative, current.version, editable)


def freeze(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    kind: str,
    html: str,
    pdf: bytes | None,
    figures: Figures | None = None,
    narrative: Mapping[str, str] | None = None,
    agency: str | None = None,
) -> StoredReport:
    """Store a rendered report for good. A summary needs the ``figures`` and ``narrative`` it
    was rendered from (refused if the narrative changed meanwhile); a product is made from
    the signed-off summary and takes its version."""
    if kind not in KINDS:
        raise InvalidInput(f"A report is one of: {', '.join(KINDS)}.")
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
        freezing = _Freezing(c, row, stages_of(deps, AuditStore(c), row), stamp)
        if kind == SUMMARY:
            return _freeze_summary(freezing, figures, narrative)
        return _freeze_product(freezing, kind, agency)

    where = f" for {agency}" if agency else ""
    report_id = write_to_audit(
        deps,
        audit,
        actor,
        "freeze_report",
        may=Permission.ORGANISE,
        work=work,
        reason=f"Froze the {kind.replace('_', ' ')}{where} (sha256 {digest[:16]})",
    )
    with deps.uow(readonly=True) as uow:
        return stored(uow.connection, report_id)


def _freeze_summary(
    f: _Freezing, figures: Figures | None, narrative: Mapping[str, str] | None
) -> int:
    row = f.row
    if not f.stages.can_freeze(row.state):
        raise InvalidInput(
            f"Audit {row.reference} is '{row.state}': the summary report is frozen when it "
            "is submitted for sign-off, not before."
        )
    current = _round(f.c, row, f.stages)
    if current.frozen:
        raise InvalidInput(
            f"The summary report of audit {row.reference} (version {current.version}) is "
            "already frozen; it can be frozen again only after further assurance is requested."
        )
    if figures is None or narrative is None or dict(narrative) != current.narrative:
        raise InvalidInput("The narrative changed while the report was rendered; render again.")
    missing = [s.replace("_", " ") for s in SECTIONS if not current.narrative[s].strip()]
    if missing:
        raise InvalidInput(f"The summary report has no text yet for: {', '.join(missing)}.")
    stamp = {**f.stamp, "figures": figures.model_dump_json()}
    if current.draft_id is not None:
        f.c.execute(update(t.report).where(t.report.c.id == current.draft_id).values(stamp))
        return current.draft_id
    values = {"audit_id": row.id, "kind": SUMMARY, "version": current.version}
    values |= {"narrative": json.dumps(current.narrative)} | stamp
    return int(f.c.execute(insert(t.report).returning(t.report.c.id), values).scalar_one())


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
    """Letters go to one setting in the deep-dive sample; every other report to everyone."""
    if kind != "feedback_letter":
        if agency is not None:
            raise InvalidInput(f"A {kind.replace('_', ' ')} is for everyone, not one agency.")
        return None
    if agency is None:
        raise InvalidInput("Say which setting the feedback letter is for.")
    return deep_dive_setting(c, row.id, agency)
