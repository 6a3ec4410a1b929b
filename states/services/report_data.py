"""The figures a summary report shows, gathered once and kept with the frozen report.

Everything here is counts, grades and labels from the audit's pinned tool and the partnership
(section titles, grade labels, agency names): the aggregation API never reads an answer's
text, and nothing here does either, so no free text typed into a return can reach a report.
The figures are a pydantic model so the frozen report can store them as JSON and the
products made later (briefing, learning on a page, letters) repeat exactly what was signed
off, even if a return is reopened afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Select, bindparam, func, select

from states.definitions.disclosure import DisclosureRule
from states.definitions.tool import ToolDefinition
from states.persistence import tables as t
from states.persistence.ids import AuditKey
from states.persistence.store import AuditRow, AuditStore
from states.services.aggregation import (
    AuditAggregates,
    Distribution,
    FindingCounts,
    MeasureImpact,
    aggregate_in,
    section_ratings_by_agency,
)
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.returns import tool_for
from states.services.terms import PARTS, terms_of


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Bar(_Frozen):
    """One distribution as a chart row: grades best first, their labels and counts."""

    key: str
    label: str
    values: tuple[str, ...]
    labels: tuple[str, ...]
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


class FindingRow(_Frozen):
    label: str
    strengths: int
    gaps: int
    concerns: int
    ratings: int
    moderated: int

    @property
    def total(self) -> int:
        return self.strengths + self.gaps + self.concerns + self.ratings


class TrainingRow(_Frozen):
    measure: str
    points: int
    responses: tuple[int, int, int]  # before, after, follow-up
    means: tuple[float | None, float | None, float | None]
    after_delta: float | None
    follow_up_delta: float | None


SMALLEST_COHORT = DisclosureRule().min_group


class CohortTraining(_Frozen):
    """One course's cohort: its attendees' measures, as ``training`` shows all of them."""

    course: str
    cohort: str
    attendees: int
    rows: tuple[TrainingRow, ...]


class Setting(_Frozen):
    code: str
    name: str


class SettingRatings(_Frozen):
    """One letter reader's own ratings by section: only its own letter shows them."""

    code: str
    by_section: tuple[Bar, ...]


class Term(_Frozen):
    """One part of the terms of reference ("Scope", and what was agreed)."""

    label: str
    text: str


class Figures(_Frozen):
    reference: str
    audit_type: str
    type_title: str
    theme: str
    tool_title: str
    chair: str
    started_on: date
    returns_submitted: int
    returns_not_submitted: int
    cases: int
    agencies: tuple[Setting, ...]
    deep_dive: tuple[Setting, ...]
    # Each letter reader's own ratings (the deep dive's, and every agency written feedback).
    # Empty in summaries frozen before letters compared each standard (their letters then
    # show no comparison).
    deep_dive_ratings: tuple[SettingRatings, ...] = ()
    # Those written individual feedback, each sent it as a letter: Section 175's deep-dive
    # sample, Section 11's every agency that returned. Empty in summaries frozen before
    # Section 11 gave feedback (their letters go to the deep dive).
    feedback_to: tuple[Setting, ...] = ()
    by_section: tuple[Bar, ...]
    by_agency: tuple[Bar, ...]
    findings_by_section: tuple[FindingRow, ...]
    findings_by_agency: tuple[FindingRow, ...]
    findings: FindingRow
    changed_at_moderation: int
    eedi_questions: int
    eedi_ratings: tuple[Bar, ...]
    eedi_answers: tuple[Bar, ...]
    eedi_findings: FindingRow
    training: tuple[TrainingRow, ...]
    # Training impact per course and cohort (a tool completed per attendee); empty otherwise,
    # and in summaries frozen before attendees were registered.
    training_by_cohort: tuple[CohortTraining, ...] = ()
    # The terms of reference as agreed: the methodology section. Empty for audit types that
    # agree none, and in summaries frozen before they were recorded as data.
    terms: tuple[Term, ...] = ()


def gather_figures(deps: Deps, *, audit: AuditKey) -> Figures:
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        return figures_in(deps, store, store.load_audit(audit))


def figures_in(deps: Deps, store: AuditStore, row: AuditRow) -> Figures:
    """The figures as the transaction of ``store`` sees them, all read in it so they agree."""
    tool = tool_for(deps, store, row)
    type_title = compiled_for(deps, store, row).definition.title
    found = aggregate_in(store.connection, row, tool)
    return _figures(store.connection, row, tool, type_title, found)


def _figures(
    c: Connection, row: AuditRow, tool: ToolDefinition, type_title: str, found: AuditAggregates
) -> Figures:
    settings = _settings(c, row.id)
    names = {s.code: s.name for s, _ in settings}
    sections = {s.id: s.title for s in tool.sections}
    grades = _grade_labels(tool)
    questions = {q.id: q.text for _, q in tool.questions()}
    deep_dive = tuple(s for s, sampled in settings if sampled)
    feedback_to = _given_feedback(c, row.id)
    readers = tuple(dict.fromkeys((*deep_dive, *feedback_to)))
    return Figures(
        reference=row.reference,
        audit_type=row.audit_type,
        type_title=type_title,
        theme=row.theme,
        tool_title=tool.title,
        chair=_name(c, row.lead_id),
        started_on=row.started_on,
        returns_submitted=found.returns_submitted,
        returns_not_submitted=found.returns_not_submitted,
        cases=_count(c, select(func.count()).where(t.case.c.audit_id == row.id)),
        agencies=tuple(s for s, _ in settings),
        deep_dive=deep_dive,
        deep_dive_ratings=_own_ratings(c, row, tool, readers),
        feedback_to=feedback_to,
        by_section=_bars(found.by_section, sections, grades),
        by_agency=_bars(found.by_agency, names, grades),
        findings_by_section=_rows(found.findings_by_section, sections),
        findings_by_agency=_rows(found.findings_by_agency, names),
        findings=_row(found.findings, "All findings"),
        changed_at_moderation=_count(c, _CHANGED, {"audit_id": row.id}),
        eedi_questions=len(found.eedi.questions),
        eedi_ratings=_bars(found.eedi.ratings, {"eedi": "EEDI questions"}, grades),
        eedi_answers=_answer_bars(found.eedi.answers, questions, tool, grades),
        eedi_findings=_row(found.eedi.findings, "EEDI"),
        training=tuple(_training(m) for m in found.training),
        training_by_cohort=tuple(
            CohortTraining(
                course=cohort.course,
                cohort=cohort.cohort,
                attendees=cohort.attendees,
                # A small cohort's averages are a few people's own answers: shown only
                # from the engine's smallest group, and pooled in the table above otherwise.
                rows=tuple(_training(m) for m in cohort.measures)
                if cohort.attendees >= SMALLEST_COHORT
                else (),
            )
            for cohort in found.training_by_cohort
        ),
        terms=_terms(c, row.id),
    )


def _terms(c: Connection, audit_id: int) -> tuple[Term, ...]:
    found = terms_of(c, audit_id)
    if found is None:
        return ()
    agreed = asdict(found.terms)
    return tuple(Term(label=label, text=agreed[part]) for part, label in PARTS.items())


def _settings(c: Connection, audit_id: int) -> list[tuple[Setting, bool]]:
    p, a = t.participation, t.agency
    rows = c.execute(
        select(a.c.code, a.c.name, p.c.deep_dive)
        .join(p, p.c.agency_id == a.c.id)
        .where(p.c.audit_id == audit_id)
        .order_by(a.c.name, a.c.code)
    )
    return [(Setting(code=code, name=name), bool(sampled)) for code, name, sampled in rows]


def _given_feedback(c: Connection, audit_id: int) -> tuple[Setting, ...]:
    a, f = t.agency, t.feedback
    rows = c.execute(
        select(a.c.code, a.c.name)
        .join(f, f.c.agency_id == a.c.id)
        .where(f.c.audit_id == audit_id)
        .order_by(a.c.name, a.c.code)
    )
    return tuple(Setting(code=code, name=name) for code, name in rows)


def _own_ratings(
    c: Connection, row: AuditRow, tool: ToolDefinition, readers: Sequence[Setting]
) -> tuple[SettingRatings, ...]:
    """Each letter reader's own ratings by section, for its letter alone."""
    sections, grades = {s.id: s.title for s in tool.sections}, _grade_labels(tool)
    found = section_ratings_by_agency(c, row, tool, [s.code for s in readers])
    return tuple(
        SettingRatings(code=code, by_section=_bars(bars, sections, grades))
        for code, bars in found.items()
    )


def _name(c: Connection, person_id: int) -> str:
    return str(c.execute(select(t.person.c.name).where(t.person.c.id == person_id)).scalar_one())


# Ratings moderation changed: the report says how far moderation moved the returns' grades.
_CHANGED = select(func.count()).where(
    t.finding.c.audit_id == bindparam("audit_id"),
    t.finding.c.moderated_rating.is_not(None),
    t.finding.c.moderated_rating != t.finding.c.original_rating,
)


def _count(c: Connection, statement: Select[int], values: dict[str, int] | None = None) -> int:
    return int(c.execute(statement, values or {}).scalar_one())


def _grade_labels(tool: ToolDefinition) -> dict[str, str]:
    """Grade value -> label; scales agree on a value's label in the shipped tools, and where
    they might not, the first scale's wording is as good a caption as any."""
    labels: dict[str, str] = {}
    for scale in tool.scales.values():
        for grade in scale.grades:
            labels.setdefault(grade.value, grade.label)
    for value in ("yes", "no", "partly"):
        labels.setdefault(value, value.capitalize())
    for _, q in tool.questions():
        for option in q.options or []:
            labels.setdefault(option.value, option.label)
    return labels


def _bars(
    found: Iterable[Distribution], names: dict[str, str], grades: dict[str, str]
) -> tuple[Bar, ...]:
    return tuple(
        Bar(
            key=d.key,
            label=names.get(d.key, d.key),
            values=d.values,
            labels=tuple(grades.get(v, v) for v in d.values),
            counts=d.counts,
        )
        for d in found
    )


def _answer_bars(
    found: Iterable[Distribution],
    questions: dict[str, str],
    tool: ToolDefinition,
    grades: dict[str, str],
) -> tuple[Bar, ...]:
    """Each question's answers under its own options' labels: two questions may share an
    option's value ("not_needed") and mean different things by it."""
    options = {q.id: {o.value: o.label for o in q.options or []} for _, q in tool.questions()}
    return tuple(
        bar for d in found for bar in _bars([d], questions, {**grades, **options.get(d.key, {})})
    )


def _row(counts: FindingCounts, label: str) -> FindingRow:
    return FindingRow(
        label=label,
        strengths=counts.strengths,
        gaps=counts.gaps,
        concerns=counts.concerns,
        ratings=counts.ratings,
        moderated=counts.moderated,
    )


def _rows(found: Sequence[FindingCounts], names: dict[str, str]) -> tuple[FindingRow, ...]:
    # Findings with no key are the ones the panel recorded itself, not drawn from a return.
    return tuple(
        _row(f, "Recorded by the panel" if f.key is None else names.get(f.key, f.key))
        for f in found
    )


def _training(m: MeasureImpact) -> TrainingRow:
    phases = (m.before, m.after, m.follow_up)
    return TrainingRow(
        measure=m.measure.replace("_", " ").capitalize(),
        points=m.points,
        responses=(m.before.responses, m.after.responses, m.follow_up.responses),
        means=(phases[0].mean, phases[1].mean, phases[2].mean),
        after_delta=m.after_delta,
        follow_up_delta=m.follow_up_delta,
    )
