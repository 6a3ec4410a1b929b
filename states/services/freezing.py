"""Freezing the summary report: every way into sign-off freezes the version submitted.

What members sign off is one immutable version: its number, the four sections' text, the
figures it was built from, and the SHA-256 of their canonical serialisation
(``states.rules.report_content``), with when and by whom it was frozen. ``fire_loaded`` calls
``freeze_on_submission`` in the transaction that enters a signing-off state, after the
``report_written`` gate has passed, so a report never reaches members unwritten or still
changing; a resubmission after further assurance freezes the next version. The database
refuses any change to a frozen row (migration 0008).

``freeze_summary`` freezes outside a submission: a type without sign-off, or an audit
submitted before submitting froze its report. Nothing here renders: the HTML and PDF are
made from the frozen content when they are read (``notifications.publishing``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from states.errors import InvalidInput
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.vocabulary import ReportStatus
from states.rules.policy import Permission, either, require, roles_for
from states.rules.report_content import empty_sections, missing_sentence
from states.rules.stages import Stages
from states.services.audits import compiled_for, roles_in_audit
from states.services.deps import Deps
from states.services.report_data import figures_in
from states.services.report_store import (
    SUMMARY,
    Narrative,
    StoredReport,
    empty_narrative,
    parse_narrative,
    stored,
    summary_hash,
)
from states.services.writes import Writing, write_to_audit

FREEZE = "freeze_report"


@dataclass(frozen=True)
class Round:
    """The summary's current version: drafted, frozen, or reopened by further assurance."""

    version: int
    draft_id: int | None
    narrative: Narrative
    frozen: bool  # this version is frozen: no more edits, no second freeze
    frozen_id: int | None = None


@dataclass(frozen=True)
class Frozen:
    report: StoredReport
    now: bool  # frozen by this call, not found frozen already


def stages_of(deps: Deps, store: AuditStore, row: AuditRow) -> Stages:
    return compiled_for(deps, store, row).stages


def current_round(c: Connection, row: AuditRow, stages: Stages) -> Round:
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
        words = parse_narrative(frozen.narrative)
        return Round(frozen.version, None, words, frozen=True, frozen_id=frozen.id)
    draft = next((f for f in found if f.version == version), None)
    if draft is not None:
        return Round(version, draft.id, parse_narrative(draft.narrative), frozen=False)
    # A reopened report starts from the words that were refused, not from a blank page.
    start = empty_narrative() if frozen is None else parse_narrative(frozen.narrative)
    return Round(version, None, start, frozen=False)


def _refused_since(c: Connection, audit_id: int, stages: Stages, version: int) -> bool:
    """Was sign-off refused (further assurance requested) after the audit reached ``version``?"""
    e = t.event
    statement = select(e.c.id).where(
        e.c.audit_id == audit_id,
        e.c.version > version,
        e.c.trigger.in_(sorted(stages.refusal_triggers)),
    )
    return c.execute(statement).first() is not None


def freeze_on_submission(
    deps: Deps, store: AuditStore, row: AuditRow, who: Actor, *, stages: Stages, now: datetime
) -> str | None:
    """Freeze the version going for sign-off, in the submission's own transaction; returns
    what the submission's event notes about it (nothing, when that version was frozen
    already: nothing could have changed it since)."""
    current = current_round(store.connection, row, stages)
    if current.frozen:
        return None
    version, digest = _freeze(deps, store, row, who=who, current=current, now=now)
    return f"summary report version {version} frozen, sha256 {digest[:16]}"


def freeze_summary(deps: Deps, *, audit: AuditKey, actor: PersonKey) -> Frozen:
    """Freeze the summary as it stands, where nothing froze it on its way to sign-off; the
    version already frozen is returned as it is."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        current = current_round(uow.connection, row, stages_of(deps, store, row))
        if current.frozen and current.frozen_id is not None:
            return Frozen(stored(uow.connection, current.frozen_id), now=False)

    def may(w: Writing) -> None:
        require(
            roles_in_audit(deps, w.store, w.who, w.row),
            Permission.WRITE_REPORT,
            refusal=f"On audit {w.row.reference} only the "
            f"{either(roles_for(Permission.WRITE_REPORT))} may freeze the summary report, "
            f"and {w.who.name} is not.",
        )

    # The one write path itself, not ``work.write_to_audit``: the event names the hash,
    # which is known only once the figures are read under the audit's lock.
    with write_to_audit(deps, audit=audit, actor=actor, may=may, open_only=True) as w:
        report_id, note = _freeze_now(deps, w)
        w.touch(FREEZE, deps.recorded_reason(f"Froze the {note}"))
    with deps.uow(readonly=True) as uow:
        return Frozen(stored(uow.connection, report_id), now=True)


def _freeze_now(deps: Deps, w: Writing) -> tuple[int, str]:
    row = w.row
    stages = stages_of(deps, w.store, row)
    if not stages.can_freeze(row.state):
        raise InvalidInput(
            f"Audit {row.reference} is '{row.state}': the summary report is frozen when it "
            "is submitted for sign-off, not before."
        )
    current = current_round(w.connection, row, stages)
    if current.frozen:
        raise InvalidInput(
            f"Version {current.version} of audit {row.reference}'s summary report is already "
            "frozen; a new version follows only a request for further assurance."
        )
    version, digest = _freeze(deps, w.store, row, who=w.who, current=current, now=w.now)
    report_id = w.connection.execute(
        select(t.report.c.id).where(
            t.report.c.audit_id == row.id,
            t.report.c.kind == SUMMARY,
            t.report.c.version == version,
        )
    ).scalar_one()
    return int(report_id), f"summary report version {version} (sha256 {digest[:16]})"


def _freeze(
    deps: Deps, store: AuditStore, row: AuditRow, *, who: Actor, current: Round, now: datetime
) -> tuple[int, str]:
    """Store ``current`` as frozen; returns its version and content hash."""
    empty = empty_sections(current.narrative)
    if empty:
        raise InvalidInput(f"Audit {row.reference} cannot be frozen: {missing_sentence(empty)}.")
    figures = figures_in(deps, store, row).model_dump_json()
    digest = summary_hash(row.reference, current.version, current.narrative, figures)
    values: dict[str, object] = {
        "status": ReportStatus.FROZEN,
        "narrative": json.dumps(current.narrative),
        "figures": figures,
        "content_hash": digest,
        "frozen_at": now,
        "frozen_by": who.id,
        "audit_version": row.version + 1,  # the version this write gives the audit
        "updated_at": now,
        "updated_by": who.id,
    }
    c = store.connection
    if current.draft_id is not None:
        c.execute(update(t.report).where(t.report.c.id == current.draft_id).values(values))
    else:
        keys = {"audit_id": row.id, "kind": SUMMARY, "version": current.version}
        c.execute(insert(t.report), keys | values)
    return current.version, digest
