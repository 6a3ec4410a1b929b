"""The summary report as a Word document: the same sections, figures and words as
``report/summary.html``, from the same figures and the chair's narrative.

A draft says DRAFT in its title heading and footer and carries no hash; a frozen report
carries its content hash (``states.rules.report_content``, as ``freezing.py`` stored it) in
its properties (``word.Properties``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from docx.document import Document as DocumentObject

from notifications.render import london_day
from notifications.reports import SECTION_TITLES, mean, number, rating_totals, share
from notifications.reports import delta as change
from notifications.word import (
    Properties,
    chart_then_table,
    facts,
    heading,
    kicker,
    narrative,
    new_document,
    note,
    table,
    to_bytes,
)
from states.services.report_data import Figures, FindingRow, TrainingRow

KIND = "summary report"
DRAFT_NOTE = "Draft: not yet frozen for sign-off. Figures and text may still change."
FINDING_COLUMNS = ("Strengths", "Gaps", "Concerns", "Ratings", "Moderated")
TRAINING_COLUMNS = (
    "Measure",
    "Before",
    "After",
    "Follow-up",
    "Change after",
    "Change at follow-up",
    "Responses",
)


def summary_docx(
    figures: Figures,
    words: Mapping[str, str],
    *,
    version: int,
    dated: datetime,
    content_hash: str | None,
) -> bytes:
    """The summary report; ``content_hash`` is None for a draft (marked DRAFT)."""
    about = Properties(figures.reference, KIND, figures.type_title, version, dated, content_hash)
    document = new_document(about)
    _cover(document, figures, version=version, dated=dated, draft=content_hash is None)
    _glance(document, figures)
    _methodology(document, figures)
    for key, title in SECTION_TITLES.items():
        heading(document, title, 2)
        narrative(document, words.get(key, ""))
    _quantitative(document, figures)
    _moderation(document, figures)
    return to_bytes(document)


def party(figures: Figures) -> str:
    return "Setting" if figures.audit_type == "section_175" else "Agency"


def parties(figures: Figures) -> str:
    return "settings" if figures.audit_type == "section_175" else "agencies"


def _cover(
    document: DocumentObject, figures: Figures, *, version: int, dated: datetime, draft: bool
) -> None:
    kicker(document, "learning hub")
    prefix = "DRAFT: " if draft else ""
    heading(document, f"{prefix}Summary report: {figures.theme}", 1)
    document.add_paragraph(figures.type_title, style="Subtitle")
    if draft:
        note(document, DRAFT_NOTE)
    facts(
        document,
        [
            ("Audit", figures.reference),
            ("Chair", figures.chair),
            ("Started", figures.started_on.strftime("%d/%m/%Y")),
            ("Report", f"version {version}, dated {london_day(dated)}"),
            ("Audit tool", figures.tool_title),
        ],
    )


def glance_rows(figures: Figures, *, pooled: bool) -> list[list[str]]:
    """The HTML's tiles; ``pooled`` (a product) counts only who took part."""
    rows = [[f"{parties(figures).capitalize()} taking part", number(len(figures.agencies))]]
    if figures.cases:
        rows.insert(0, ["Cases audited", number(figures.cases)])
    rows.append(["Returns counted", number(figures.returns_submitted)])
    if not pooled:
        found = figures.findings
        rows += [
            ["Findings", number(found.total)],
            ["Moderated", share(found.moderated, found.total)],
        ]
        if figures.deep_dive:
            rows.append(["In the deep dive", number(len(figures.deep_dive))])
    return rows


def _glance(document: DocumentObject, figures: Figures) -> None:
    heading(document, "The audit at a glance", 2)
    table(
        document, "The audit at a glance", ["Measure", "Count"], glance_rows(figures, pooled=False)
    )
    chart_then_table(document, rating_totals(figures.by_section), "All ratings", "Ratings")


def _methodology(document: DocumentObject, figures: Figures) -> None:
    if not figures.terms:
        return
    heading(document, "Methodology", 2)
    note(document, "The terms of reference the learning hub agreed for this audit.")
    facts(document, [(term.label, term.text) for term in figures.terms])


def _quantitative(document: DocumentObject, figures: Figures) -> None:
    heading(document, "The quantitative picture", 2)
    note(
        document,
        "Ratings count every submitted return; where moderation confirmed or changed a rating, "
        "the moderated grade is counted. Returns not submitted "
        f"({number(figures.returns_not_submitted)}) are left out.",
    )
    heading(document, "Ratings by section", 3)
    chart_then_table(document, figures.by_section, "Ratings by section", "Section")
    who = party(figures)
    heading(document, f"Ratings by {who.lower()}", 3)
    chart_then_table(document, figures.by_agency, f"Ratings by {who.lower()}", who)
    if figures.training:
        heading(document, "Training: before and after", 3)
        _training(document, figures.training)
    for cohort in figures.training_by_cohort:
        people = f"{cohort.attendees} attendee{'' if cohort.attendees == 1 else 's'}"
        heading(document, f"{cohort.course}, cohort {cohort.cohort} ({people})", 3)
        if cohort.rows:
            _training(document, cohort.rows)
        else:
            document.add_paragraph(
                "Fewer attendees than the smallest group a report shows, so their answers are "
                "counted only in the table for all attendees above."
            )


def _training(document: DocumentObject, rows: Sequence[TrainingRow]) -> None:
    table(
        document,
        "Mean score per measure (the best grade scores highest)",
        TRAINING_COLUMNS,
        [
            [
                f"{row.measure} (of {row.points})",
                *(mean(m) for m in row.means),
                change(row.after_delta),
                change(row.follow_up_delta),
                " / ".join(str(n) for n in row.responses),
            ]
            for row in rows
        ],
    )


def _moderation(document: DocumentObject, figures: Figures) -> None:
    heading(document, "Findings agreed at moderation", 2)
    found, changed = figures.findings, figures.changed_at_moderation
    document.add_paragraph(
        f"{number(found.moderated)} of {number(found.total)} findings were moderated by the "
        f"chair and auditors; moderation changed {number(changed)} "
        f"rating{'' if changed == 1 else 's'}. Strengths, gaps and concerns are counted here, "
        "never quoted: the chair's sections above say what they mean."
    )
    _findings(document, figures.findings_by_section, found, "Section", "Findings by section")
    who = party(figures)
    _findings(document, figures.findings_by_agency, None, who, f"Findings by {who.lower()}")
    _eedi(document, figures)


def _findings(
    document: DocumentObject,
    rows: Sequence[FindingRow],
    total: FindingRow | None,
    keyed: str,
    title: str,
) -> None:
    shown = [*rows, *([total] if total else [])]
    table(
        document,
        title,
        [keyed, *FINDING_COLUMNS],
        [
            [
                row.label,
                *(number(n) for n in (row.strengths, row.gaps, row.concerns, row.ratings)),
                f"{number(row.moderated)} of {number(row.total)}",
            ]
            for row in shown
        ],
    )


def _eedi(document: DocumentObject, figures: Figures) -> None:
    heading(document, "Equality, equity, diversity and inclusion (EEDI)", 3)
    if not figures.eedi_questions:
        note(document, "This audit's tool marks no question as EEDI.")
        return
    asked, found = figures.eedi_questions, figures.eedi_findings
    document.add_paragraph(
        f"{asked} question{'' if asked == 1 else 's'} of the tool carry EEDI as a golden "
        f"thread; {number(found.total)} findings came from them ({number(found.strengths)} "
        f"strengths, {number(found.gaps)} gaps, {number(found.concerns)} concerns)."
    )
    chart_then_table(document, figures.eedi_ratings, "EEDI ratings", "Questions")
    if figures.eedi_answers:
        chart_then_table(document, figures.eedi_answers, "EEDI answers", "Question")
