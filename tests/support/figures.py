"""The figures a frozen Section 175 summary holds, made by hand for tests that render products
or work out what they may show without walking an audit through the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from states.services.report_data import Bar, Figures, FindingRow, Setting, SettingRatings

GRADES = ("green", "amber", "red")
LABELS = ("Green", "Amber", "Red")
NOTHING = FindingRow(label="All", strengths=0, gaps=0, concerns=0, ratings=0, moderated=0)


def bar(key: str, label: str, counts: Sequence[int], *, labels: tuple[str, ...] = LABELS) -> Bar:
    """One distribution over the red-amber-green scale, green first."""
    return Bar(key=key, label=label, values=GRADES, labels=labels, counts=tuple(counts))


def s175_figures(
    *,
    agencies: tuple[Setting, ...],
    by_section: tuple[Bar, ...],
    by_agency: tuple[Bar, ...] = (),
    deep_dive: tuple[Setting, ...] = (),
    deep_dive_ratings: tuple[SettingRatings, ...] = (),
    returns_submitted: int | None = None,
    reference: str = "AUD-TEST0001",
    theme: str = "Safeguarding in schools",
) -> Figures:
    """A Section 175 summary's figures: the settings that took part, their ratings by section
    (and by setting, and each deep-dive setting's own), and no findings, cases or training.
    Every setting that took part submitted its return unless ``returns_submitted`` says
    otherwise."""
    return Figures(
        reference=reference,
        audit_type="section_175",
        type_title="Section 175/157 self-assessment audit",
        theme=theme,
        tool_title="Section 175 tool",
        chair="Sam Greenfield",
        started_on=date(2026, 3, 2),
        returns_submitted=len(agencies) if returns_submitted is None else returns_submitted,
        returns_not_submitted=0,
        cases=0,
        agencies=agencies,
        deep_dive=deep_dive,
        deep_dive_ratings=deep_dive_ratings,
        by_section=by_section,
        by_agency=by_agency,
        findings_by_section=(),
        findings_by_agency=(),
        findings=NOTHING,
        changed_at_moderation=0,
        eedi_questions=0,
        eedi_ratings=(),
        eedi_answers=(),
        eedi_findings=NOTHING,
        training=(),
    )
