"""Rendering joined to storing: the draft as it stands, the frozen summary, and its products.

The engine stores and checks (``states.services.reports``, ``freezing``); this module renders
what it stores, so the CLI, a flow or the web app each make a report with one call. A summary
frozen as it was submitted is its content: its HTML and PDF are made from that content, dated
the day it was frozen, whenever they are read. Every other date printed on a report comes
from the engine's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from notifications.reports import embedded_summary, render, to_pdf
from states.definitions.disclosure import DisclosureRule
from states.errors import InvalidInput, NotFound
from states.persistence.ids import PersonKey
from states.persistence.vocabulary import ReportStatus
from states.services import report_store, reports
from states.services.deps import Deps
from states.services.report_data import Figures, Setting
from states.services.report_store import SUMMARY, StoredReport


@dataclass(frozen=True)
class Rendered:
    html: str
    pdf: bytes | None
    version: int
    frozen: bool


def current_summary(deps: Deps, *, audit: str, pdf: bool = False) -> Rendered:
    """The frozen summary of the current version if there is one, else the draft rendered now
    (marked as a draft), so what people read before sign-off is what will be frozen."""
    source = reports.summary_source(deps, audit=audit)
    frozen = report_store.latest(deps, audit=audit)
    if frozen is not None and frozen.version == source.version:
        html = frozen_html(frozen)
        return Rendered(html, frozen_pdf(frozen) if pdf else None, frozen.version, frozen=True)
    html = render(
        SUMMARY,
        source.figures,
        source.narrative,
        version=source.version,
        dated=deps.clock.now(),
        draft=True,
    )
    return Rendered(html, to_pdf(html) if pdf else None, source.version, frozen=False)


def frozen_html(report: StoredReport) -> str:
    """A frozen summary as a document: the HTML stored with it, or (frozen as content, as
    submitting freezes it) made from its sections and figures, dated the day it was frozen."""
    if report.html is not None:
        return report.html
    figures, dated = _frozen_content(report)
    return render(SUMMARY, figures, report.narrative, version=report.version, dated=dated)


def frozen_pdf(report: StoredReport) -> bytes:
    """A frozen summary's PDF: the one stored with it, or made from ``frozen_html``."""
    return report.pdf if report.pdf is not None else to_pdf(frozen_html(report))


def frozen_in_page(report: StoredReport) -> Markup:
    """A frozen summary as a part of a web page (the sign-off page shows it above the form)."""
    figures, dated = _frozen_content(report)
    return embedded_summary(figures, report.narrative, version=report.version, dated=dated)


def _frozen_content(report: StoredReport) -> tuple[Figures, datetime]:
    if report.kind != SUMMARY or report.figures is None or report.frozen_at is None:
        raise ValueError(f"report {report.id} is not a frozen summary")
    return report.figures, report.frozen_at


def make_products(deps: Deps, *, audit: str, actor: PersonKey) -> list[StoredReport]:
    """The 7-minute briefing and learning on a page from the frozen summary; a letter to
    each setting or agency written individual feedback (Section 175's deep-dive sample,
    Section 11's every agency), and for an audit with a deep dive the summary findings report
    to all settings. Products already made for this version are reused."""
    summary = report_store.latest(deps, audit=audit)
    if summary is None or summary.figures is None:
        raise InvalidInput(f"Audit {audit} has no frozen summary report to work from.")
    figures = summary.figures
    wanted: list[tuple[str, Setting | None]] = [("briefing", None), ("learning_on_a_page", None)]
    readers = figures.feedback_to or figures.deep_dive
    wanted += [("feedback_letter", s) for s in readers]
    if figures.deep_dive:
        wanted.append(("summary_to_all", None))
    feedback = report_store.feedback_for(deps, audit=audit) if readers else {}
    rules = report_store.product_rules(deps, audit=audit)
    return [
        _product(
            deps,
            audit,
            actor,
            summary=summary,
            wanted=(kind, setting),
            feedback=feedback,
            rule=rules[kind],
        )
        for kind, setting in wanted
    ]


def _product(
    deps: Deps,
    audit: str,
    actor: PersonKey,
    *,
    summary: StoredReport,
    wanted: tuple[str, Setting | None],
    feedback: dict[str, str],
    rule: DisclosureRule,
) -> StoredReport:
    kind, setting = wanted
    code = None if setting is None else setting.code
    made = report_store.latest(deps, audit=audit, kind=kind, agency=code)
    if made is not None and made.version == summary.version:
        return made
    figures: Figures | None = summary.figures
    assert figures is not None  # a frozen summary always stores its figures
    # A product shows the summary's counts only as its disclosure rule allows.
    html = render(
        kind,
        figures,
        summary.narrative,
        version=summary.version,
        dated=deps.clock.now(),
        setting=setting,
        feedback=None if setting is None else feedback.get(setting.code),
        rule=rule,
    )
    return reports.freeze_product(
        deps, audit=audit, actor=actor, kind=kind, html=html, pdf=to_pdf(html), agency=code
    )


@dataclass(frozen=True)
class WordFile:
    """A Word version of a report, with what its file name needs."""

    docx: bytes
    version: int
    frozen: bool


def current_summary_docx(deps: Deps, *, audit: str) -> WordFile:
    """``current_summary`` as a Word document: the frozen version (its hash in the file's
    properties) when the current version is frozen, else the draft as it stands, marked so."""
    from notifications.word_summary import summary_docx  # python-docx: only when asked

    source = reports.summary_source(deps, audit=audit)
    frozen = report_store.latest(deps, audit=audit)
    if frozen is not None and frozen.version == source.version:
        return WordFile(frozen_docx(frozen), frozen.version, frozen=True)
    made = summary_docx(
        source.figures,
        source.narrative,
        version=source.version,
        dated=deps.clock.now(),
        content_hash=None,
    )
    return WordFile(made, source.version, frozen=False)


def frozen_docx(report: StoredReport) -> bytes:
    """A frozen summary as a Word document, made from its content, dated the day it was
    frozen, carrying its content hash: the same whenever it is read."""
    from notifications.word_summary import summary_docx

    if report.figures is None:  # frozen as HTML, before reports were frozen as content
        raise NotFound("Word version of the summary report of audit", report.reference)
    figures, dated = _frozen_content(report)
    return summary_docx(
        figures,
        report.narrative,
        version=report.version,
        dated=dated,
        content_hash=report.content_hash,
    )


def product_docx(deps: Deps, product: StoredReport) -> bytes:
    """A frozen briefing or learning on a page as a Word document: made from the signed-off
    summary it was made from, under its disclosure rule, dated the day it was made, carrying
    the product's own hash (its stored HTML's, as ``oscp report list`` shows it)."""
    from notifications import word_products

    what = f"the {product.kind.replace('_', ' ')} of audit"
    if product.kind not in word_products.KINDS or product.frozen_at is None:
        raise NotFound(f"Word version of {what}", product.reference)
    figures, words = _made_from(deps, product)
    if figures is None or product.content_hash is None:
        raise NotFound(f"signed-off summary behind {what}", product.reference)
    return word_products.product_docx(
        product.kind,
        figures,
        words,
        version=product.version,
        dated=product.frozen_at,
        rule=report_store.product_rules(deps, audit=product.reference)[product.kind],
        content_hash=product.content_hash,
    )


def _made_from(deps: Deps, product: StoredReport) -> tuple[Figures | None, dict[str, str]]:
    """The figures and words of the frozen summary a product was made from (its version)."""
    for found in report_store.list_reports(deps, audit=product.reference):
        frozen = found.status == ReportStatus.FROZEN and found.kind == SUMMARY
        if frozen and found.version == product.version:
            return found.figures, found.narrative
    return None, {}
