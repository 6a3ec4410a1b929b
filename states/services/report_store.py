"""Reading stored reports: the kinds there are, and frozen reports as the renderers use them.

A frozen summary is its content: the version, the four sections, the figures, and the SHA-256
of their canonical serialisation (``states.rules.report_content``); its HTML and PDF are made
from that content whenever they are read. Products (and summaries frozen before submitting
froze them) keep the HTML and PDF they were made as, and their hash is the HTML's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from states.clock import as_utc_or_none
from states.definitions.disclosure import DisclosureRule
from states.persistence import tables as t
from states.persistence.ids import AuditKey
from states.persistence.store import AuditStore
from states.persistence.vocabulary import ReportStatus
from states.rules import report_content
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.report_data import Figures

SUMMARY = "summary"
PRODUCTS = ("briefing", "learning_on_a_page", "feedback_letter", "summary_to_all")
KINDS = (SUMMARY, *PRODUCTS)
# The framework's "Lessons and actions": what the summary report must hold, in its order.
SECTIONS = report_content.SECTIONS
CHANNELS = ("learning_hub", "website", "email")
Narrative = dict[str, str]


@dataclass(frozen=True)
class StoredReport:
    id: int
    kind: str
    agency: str | None  # agency code, for a letter to one setting
    version: int
    status: str
    narrative: Narrative
    figures: Figures | None
    content_hash: str | None
    html: str | None
    pdf: bytes | None
    frozen_at: datetime | None
    frozen_by: str | None  # the person's name
    # The stored content hashes to ``content_hash``: the HTML where one was stored, otherwise
    # the canonical serialisation of the summary's version, sections and figures.
    intact: bool
    reference: str  # the audit's


@dataclass(frozen=True)
class FrozenRow:
    """The parts of a frozen report a product is made from, as stored."""

    id: int
    version: int
    narrative: str
    figures: str | None


def html_hash(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def summary_hash(reference: str, version: int, narrative: Narrative, figures_json: str) -> str:
    return report_content.content_hash(
        reference=reference, version=version, narrative=narrative, figures_json=figures_json
    )


def empty_narrative() -> Narrative:
    return dict.fromkeys(SECTIONS, "")


def parse_narrative(text: str) -> Narrative:
    stored = json.loads(text)
    return {s: str(stored.get(s, "")) for s in SECTIONS}


_r = t.report
_by = t.person.alias("frozen_by_person")
_REPORTS = (
    select(
        _r.c.id,
        _r.c.kind,
        t.agency.c.code,
        _r.c.version,
        _r.c.status,
        _r.c.narrative,
        _r.c.figures,
        _r.c.content_hash,
        _r.c.html,
        _r.c.pdf,
        _r.c.frozen_at,
        _by.c.name,
        t.audit.c.reference,
    )
    .join(t.audit, t.audit.c.id == _r.c.audit_id)
    .outerjoin(t.agency, t.agency.c.id == _r.c.agency_id)
    .outerjoin(_by, _by.c.id == _r.c.frozen_by)
)


def stored(c: Connection, report_id: int) -> StoredReport:
    return _view(c.execute(_REPORTS.where(_r.c.id == report_id)).one())


def _view(found: Row[*tuple[Any, ...]]) -> StoredReport:
    m = found._mapping
    return StoredReport(
        id=m[_r.c.id],
        kind=m[_r.c.kind],
        agency=m[t.agency.c.code],
        version=m[_r.c.version],
        status=m[_r.c.status],
        narrative=parse_narrative(m[_r.c.narrative]),
        figures=None if m[_r.c.figures] is None else Figures.model_validate_json(m[_r.c.figures]),
        content_hash=m[_r.c.content_hash],
        html=m[_r.c.html],
        pdf=None if m[_r.c.pdf] is None else bytes(m[_r.c.pdf]),
        frozen_at=as_utc_or_none(m[_r.c.frozen_at]),
        frozen_by=m[_by.c.name],
        intact=_intact(m),
        reference=m[t.audit.c.reference],
    )


def _intact(m: Any) -> bool:
    """Whether what is stored still hashes to the hash stored when it was frozen."""
    if m[_r.c.status] != ReportStatus.FROZEN:
        return False
    if m[_r.c.html] is not None:
        return bool(html_hash(m[_r.c.html]) == m[_r.c.content_hash])
    if m[_r.c.kind] != SUMMARY or m[_r.c.figures] is None:
        return False
    digest = summary_hash(
        m[t.audit.c.reference],
        m[_r.c.version],
        parse_narrative(m[_r.c.narrative]),
        m[_r.c.figures],
    )
    return bool(digest == m[_r.c.content_hash])


def latest_frozen(
    c: Connection, audit_id: int, kind: str, agency_id: int | None, *, version: int | None = None
) -> FrozenRow | None:
    statement = select(_r.c.id, _r.c.version, _r.c.narrative, _r.c.figures).where(
        _r.c.audit_id == audit_id,
        _r.c.kind == kind,
        _r.c.agency_key == (agency_id or 0),
        _r.c.status == ReportStatus.FROZEN,
    )
    if version is not None:
        statement = statement.where(_r.c.version == version)
    found = c.execute(statement.order_by(_r.c.version.desc()).limit(1)).first()
    return None if found is None else FrozenRow(*found)


def latest(
    deps: Deps, *, audit: AuditKey, kind: str = SUMMARY, agency: str | None = None
) -> StoredReport | None:
    """The newest frozen report of a kind (for one setting, for a letter), or None."""
    with deps.uow(readonly=True) as uow:
        row = AuditStore(uow.connection).load_audit(audit)
        for_whom = t.agency.c.code == agency if agency is not None else _r.c.agency_id.is_(None)
        found = uow.connection.execute(
            _REPORTS.where(
                _r.c.audit_id == row.id,
                _r.c.kind == kind,
                _r.c.status == ReportStatus.FROZEN,
                for_whom,
            ).order_by(_r.c.version.desc())
        ).first()
        return None if found is None else _view(found)


def frozen_summaries(c: Connection, audit_id: int, *, newest: int) -> list[StoredReport]:
    """The ``newest`` frozen versions of the audit's summary, the newest first."""
    found = c.execute(
        _REPORTS.where(
            _r.c.audit_id == audit_id, _r.c.kind == SUMMARY, _r.c.status == ReportStatus.FROZEN
        )
        .order_by(_r.c.version.desc())
        .limit(newest)
    )
    return [_view(f) for f in found]


def list_reports(deps: Deps, *, audit: AuditKey) -> list[StoredReport]:
    """Every version of every report of the audit, drafts included, oldest first."""
    with deps.uow(readonly=True) as uow:
        row = AuditStore(uow.connection).load_audit(audit)
        found = uow.connection.execute(
            _REPORTS.where(_r.c.audit_id == row.id).order_by(
                _r.c.version, _r.c.kind, t.agency.c.code
            )
        )
        return [_view(f) for f in found]


def product_rules(deps: Deps, *, audit: AuditKey) -> dict[str, DisclosureRule]:
    """Each product's disclosure rule, from the definition the audit started with."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        products = compiled_for(deps, store, store.load_audit(audit)).definition.products
    return {kind: products.rule(kind) for kind in PRODUCTS}


def feedback_for(deps: Deps, *, audit: AuditKey) -> dict[str, str]:
    """The chair's individual feedback to each deep-dive setting, by agency code: the words of
    a Section 175 letter, written by the partnership for that setting alone."""
    with deps.uow(readonly=True) as uow:
        row = AuditStore(uow.connection).load_audit(audit)
        found = uow.connection.execute(
            select(t.agency.c.code, t.feedback.c.summary)
            .join(t.agency, t.agency.c.id == t.feedback.c.agency_id)
            .where(t.feedback.c.audit_id == row.id)
        )
        return {code: summary for code, summary in found}
