"""Reading stored reports: the kinds there are, and frozen reports as the renderers use them."""

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
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.report_data import Figures

SUMMARY = "summary"
PRODUCTS = ("briefing", "learning_on_a_page", "feedback_letter", "summary_to_all")
KINDS = (SUMMARY, *PRODUCTS)
# The framework's "Lessons and actions": what the summary report must hold, in its order.
SECTIONS = ("working_well", "emerging_concerns", "recommendations", "reflection")
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

    @property
    def intact(self) -> bool:
        """The stored HTML is the HTML that was frozen."""
        return self.html is not None and html_hash(self.html) == self.content_hash


@dataclass(frozen=True)
class FrozenRow:
    """The parts of a frozen report a product is made from, as stored."""

    id: int
    version: int
    narrative: str
    figures: str | None


def html_hash(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def empty_narrative() -> Narrative:
    return dict.fromkeys(SECTIONS, "")


def parse_narrative(text: str) -> Narrative:
    stored = json.loads(text)
    return {s: str(stored.get(s, "")) for s in SECTIONS}


_r = t.report
_REPORTS = select(
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
).outerjoin(t.agency, t.agency.c.id == _r.c.agency_id)


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
    )


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
