"""Aggregates of an audit's returns, as the reports use them: counts, never text.

The database does the counting, one GROUP BY per view, over submitted returns only (drafts
and reopened returns do not count). Ratings are counted from their findings: submitting a
return writes one rating finding per rating answered, carrying the answer as its original
rating, and moderation writes the grade it confirmed or chose beside it; reopening deletes
them. So a rating counts as moderated where moderated and as answered otherwise, and the
count never reads an answer's text. Python only folds the per-question counts into
sections, EEDI and training measures with the audit's pinned tool: its loops run over
groups (questions x grades), never over answers. A tool completed per course attendee is
also read per course and cohort. Answers the tool declares as meaning "none" make no
finding when submitted, and choice options that count as none are left out of the answer
counts, so "none found" is counted as neither a strength nor a gap. Free-text and evidence
answers are never selected and findings are counted, not read: results hold ids, grade values
and counts only, because this is children's safeguarding data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Select,
    bindparam,
    func,
    or_,
    select,
)

from states.definitions.tool import YES_NO_PARTLY, ToolDefinition
from states.persistence import tables as t
from states.persistence.ids import AuditKey
from states.persistence.store import AuditRow, AuditStore
from states.persistence.vocabulary import ReturnStatus
from states.services.deps import Deps
from states.services.returns import tool_for

PHASES = ("before", "after", "follow_up")
Grades = tuple[str, ...]
# (key, question id, value, count) as the database groups them.
Group = tuple[str, str, str, int]


@dataclass(frozen=True)
class Distribution:
    """How many answers took each value: a scale's grades best first, or a question's options.

    ``key`` is a question id, section id, agency code, theme or "eedi". Sections and agencies
    whose questions use scales with different grades get one distribution per scale shape.
    """

    key: str
    values: Grades
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def count(self, value: str) -> int:
        return self.counts[self.values.index(value)]

    def as_dict(self) -> dict[str, int]:
        return dict(zip(self.values, self.counts, strict=True))


@dataclass(frozen=True)
class FindingCounts:
    """Findings under one key: ``None`` for those the panel recorded itself, not from a return."""

    key: str | None
    strengths: int = 0
    gaps: int = 0
    concerns: int = 0
    ratings: int = 0
    moderated: int = 0

    @property
    def total(self) -> int:
        return self.strengths + self.gaps + self.concerns + self.ratings


@dataclass(frozen=True)
class Eedi:
    """Equality, equity, diversity and inclusion: questions tagged ``eedi`` or in such a section."""

    questions: tuple[str, ...]
    ratings: tuple[Distribution, ...]
    answers: tuple[Distribution, ...]  # yes/no/partly and choice questions, one per question
    findings: FindingCounts


@dataclass(frozen=True)
class PhaseScore:
    responses: int
    mean: float | None  # None when nobody answered in this phase


@dataclass(frozen=True)
class MeasureImpact:
    """One training measure: mean score per phase, from ``points`` (best grade) down to 1.

    Each phase's mean is over every return that answered it, so a delta compares cohorts
    rather than pairing each agency's answers with its own earlier ones.
    """

    measure: str
    points: int
    before: PhaseScore
    after: PhaseScore
    follow_up: PhaseScore

    @property
    def after_delta(self) -> float | None:
        return _delta(self.after, self.before)

    @property
    def follow_up_delta(self) -> float | None:
        return _delta(self.follow_up, self.before)


def _delta(later: PhaseScore, before: PhaseScore) -> float | None:
    if later.mean is None or before.mean is None:
        return None
    return later.mean - before.mean


@dataclass(frozen=True)
class CohortImpact:
    """Training measures of one course's cohort, from its attendees' own returns."""

    course: str
    cohort: str
    attendees: int  # registered, whether or not they have returned yet
    measures: tuple[MeasureImpact, ...]


@dataclass(frozen=True)
class AuditAggregates:
    audit: str
    audit_type: str
    returns_submitted: int
    returns_not_submitted: int
    by_question: tuple[Distribution, ...]
    by_section: tuple[Distribution, ...]
    by_agency: tuple[Distribution, ...]
    findings_by_section: tuple[FindingCounts, ...]
    findings_by_agency: tuple[FindingCounts, ...]
    findings: FindingCounts  # every finding: moderation progress is moderated of total
    eedi: Eedi
    training: tuple[MeasureImpact, ...]  # empty unless the tool asks measures in phases
    # Per course and cohort, for a tool completed per attendee; empty otherwise.
    training_by_cohort: tuple[CohortImpact, ...] = ()


@dataclass(frozen=True)
class _Plan:
    """What the pinned tool says about the questions the aggregates count."""

    sections: dict[str, str]  # every question -> its section, in the tool's order
    grades: dict[str, Grades]  # rating questions -> their scale's grades, best first
    measures: dict[str, tuple[str, str]]  # phased rating questions -> (measure, phase)
    eedi: tuple[str, ...]  # questions tagged eedi, or in a section tagged eedi
    options: dict[str, Grades]  # EEDI yes/no/partly and choice questions -> their options


def _plan(tool: ToolDefinition) -> _Plan:
    sections: dict[str, str] = {}
    grades: dict[str, Grades] = {}
    measures: dict[str, tuple[str, str]] = {}
    options: dict[str, Grades] = {}
    eedi: list[str] = []
    for section, q in tool.questions():
        sections[q.id] = section.id
        if q.type == "rating":
            grades[q.id] = tuple(g.value for g in tool.scales[q.scale or ""].grades)
            if q.measure and section.phase:
                measures[q.id] = (q.measure, section.phase)
        if "eedi" not in q.tags and "eedi" not in section.tags:
            continue
        eedi.append(q.id)
        if q.type in ("yes_no_partly", "choice"):
            # An option that means "there was none" is left out: it is neither way.
            counted = [o.value for o in q.options or [] if o.counts_as != "none"]
            options[q.id] = tuple(counted) or YES_NO_PARTLY
    return _Plan(sections, grades, measures, tuple(eedi), options)


_a, _r, _f = t.answer, t.audit_return, t.finding
_RATING = func.coalesce(_f.c.moderated_rating, _f.c.original_rating)
_AUDIT: BindParameter[int] = bindparam("audit_id")
_QUESTIONS: BindParameter[str] = bindparam("questions", expanding=True)


def _rating_counts(*keys: ColumnElement[str]) -> Select[*tuple[Any, ...]]:
    """Ratings of submitted returns per ``keys``, question and (moderated) grade."""
    return (
        select(*keys, _f.c.question_id, _RATING, func.count())
        .select_from(_f)
        .join(_r, _r.c.id == _f.c.return_id)
        .where(_f.c.kind == "rating", _r.c.status == ReturnStatus.SUBMITTED)
        .group_by(*keys, _f.c.question_id, _RATING)
    )


def _finding_counts(by_agency: bool) -> Select[*tuple[Any, ...]]:
    """Findings per question (or agency) and kind, with how many are moderated."""
    key = t.agency.c.code if by_agency else _f.c.question_id
    statement = (
        select(key, _f.c.kind, func.count(), func.count(_f.c.moderated_at))
        .select_from(_f)
        .outerjoin(_r, _r.c.id == _f.c.return_id)
        .where(
            _f.c.audit_id == _AUDIT,
            or_(_f.c.return_id.is_(None), _r.c.status == ReturnStatus.SUBMITTED),
        )
        .group_by(key, _f.c.kind)
    )
    if by_agency:
        statement = statement.outerjoin(t.agency, t.agency.c.id == _r.c.agency_id)
    return statement


# Built once: building a statement costs more Python than SQLite takes to run a small one.
# By the return's audit: SQLite then starts from the audit's returns, not from every return.
_RATINGS_BY_QUESTION = _rating_counts().where(_r.c.audit_id == _AUDIT)
_RATINGS_BY_AGENCY = (
    _rating_counts(t.agency.c.code)
    .join(t.agency, t.agency.c.id == _r.c.agency_id)
    .where(_r.c.audit_id == _AUDIT)
)
# Only for the closed (yes/no/partly, choice) questions the caller names: never free text.
_ANSWERS_BY_QUESTION = (
    select(_a.c.question_id, _a.c.value, func.count())
    .select_from(_a)
    .join(_r, _r.c.id == _a.c.return_id)
    .where(
        _r.c.audit_id == _AUDIT,
        _r.c.status == ReturnStatus.SUBMITTED,
        _a.c.question_id.in_(_QUESTIONS),
    )
    .group_by(_a.c.question_id, _a.c.value)
)
_FINDINGS_BY_QUESTION = _finding_counts(by_agency=False)
_FINDINGS_BY_AGENCY = _finding_counts(by_agency=True)
_RETURNS = select(func.count().filter(_r.c.status == ReturnStatus.SUBMITTED), func.count()).where(
    _r.c.audit_id == _AUDIT
)
_RATINGS_BY_COHORT = (
    _rating_counts(t.attendee.c.course, t.attendee.c.cohort)
    .join(t.attendee, t.attendee.c.case_id == _r.c.case_id)
    .where(_r.c.audit_id == _AUDIT)
)
_ATTENDEES = (
    select(t.attendee.c.course, t.attendee.c.cohort, func.count())
    .join(t.case, t.case.c.id == t.attendee.c.case_id)
    .where(t.case.c.audit_id == _AUDIT)
    .group_by(t.attendee.c.course, t.attendee.c.cohort)
    .order_by(t.attendee.c.course, t.attendee.c.cohort)
)
_THEMES = (
    _rating_counts(t.audit.c.theme, t.audit.c.tool_hash)
    .join(t.audit, t.audit.c.id == _r.c.audit_id)
    .where(t.audit.c.audit_type == bindparam("audit_type"))
)


def _groups(c: Connection, statement: Select[*tuple[Any, ...]], audit_id: int) -> list[Group]:
    """(key, question, value, count) rows; a statement without a key is keyed by question."""
    found = c.execute(statement, {"audit_id": audit_id}).all()
    return [(row[0], *row[-3:]) for row in found]


def _closed_answers(c: Connection, audit_id: int, questions: Sequence[str]) -> list[Group]:
    if not questions:
        return []
    found = c.execute(_ANSWERS_BY_QUESTION, {"audit_id": audit_id, "questions": list(questions)})
    return [(q, q, v, n) for q, v, n in found.all()]


def _finding_groups(
    c: Connection, audit_id: int, *, by_agency: bool
) -> list[tuple[str | None, str, int, int]]:
    """(question id or agency code, kind, findings, moderated): the panel's own have no key."""
    statement = _FINDINGS_BY_AGENCY if by_agency else _FINDINGS_BY_QUESTION
    found = c.execute(statement, {"audit_id": audit_id}).all()
    return [(k, kind, n, moderated) for k, kind, n, moderated in found]


def _return_counts(c: Connection, audit_id: int) -> tuple[int, int]:
    submitted, every = c.execute(_RETURNS, {"audit_id": audit_id}).one()
    return int(submitted), int(every) - int(submitted)


def _fold(
    groups: Iterable[tuple[str, Grades, str, int]], seeds: Sequence[tuple[str, Grades]] = ()
) -> tuple[Distribution, ...]:
    """Sum (key, grades, value, n) into one distribution per key and scale shape.

    ``seeds`` come first, in their order, even when nothing was counted; other keys follow
    sorted. A value off its scale cannot occur: answers and moderation are both checked
    against the audit's pinned tool.
    """
    summed = {seed: dict.fromkeys(seed[1], 0) for seed in seeds}
    for key, grades, value, n in groups:
        counts = summed.setdefault((key, grades), dict.fromkeys(grades, 0))
        if value in counts:
            counts[value] += n
    seeded = set(seeds)
    rest = sorted((k for k in summed if k not in seeded), key=lambda k: k[0])
    return tuple(Distribution(k, g, tuple(summed[k, g].values())) for k, g in [*seeds, *rest])


_FIELD = {"strength": "strengths", "gap": "gaps", "concern": "concerns", "rating": "ratings"}


def _tally(
    groups: Iterable[tuple[str | None, str, int, int]], seeds: Sequence[str | None] = ()
) -> tuple[FindingCounts, ...]:
    summed: dict[str | None, dict[str, int]] = {key: {} for key in seeds}
    for key, kind, n, moderated in groups:
        counts = summed.setdefault(key, {})
        counts[_FIELD[kind]] = counts.get(_FIELD[kind], 0) + n
        counts["moderated"] = counts.get("moderated", 0) + moderated
    rest = sorted((k for k in summed if k not in seeds), key=lambda k: (k is None, k or ""))
    return tuple(FindingCounts(k, **summed[k]) for k in [*seeds, *rest] if summed[k])


def _total(key: str, groups: Iterable[tuple[str | None, str, int, int]]) -> FindingCounts:
    found = _tally((key, kind, n, m) for _, kind, n, m in groups)
    return found[0] if found else FindingCounts(key)


def _eedi(
    plan: _Plan,
    rated: Sequence[tuple[str, Grades, str, int]],
    answers: Sequence[Group],
    findings: Sequence[tuple[str | None, str, int, int]],
) -> Eedi:
    eedi = set(plan.eedi)
    shapes = list(dict.fromkeys(plan.grades[q] for q in plan.eedi if q in plan.grades))
    return Eedi(
        questions=plan.eedi,
        ratings=_fold(
            (("eedi", g, v, n) for q, g, v, n in rated if q in eedi),
            [("eedi", g) for g in shapes],
        ),
        answers=_fold(
            ((q, plan.options[q], v, n) for _, q, v, n in answers), list(plan.options.items())
        ),
        findings=_total("eedi", (f for f in findings if f[0] in eedi)),
    )


def _training(
    plan: _Plan, rated: Sequence[tuple[str, Grades, str, int]]
) -> tuple[MeasureImpact, ...]:
    """Mean score per measure and phase: the best of n grades scores n, the worst 1."""
    sums: dict[tuple[str, str], tuple[int, int]] = {}
    for q, grades, value, n in rated:
        if q in plan.measures and value in grades:
            responses, score = sums.get(plan.measures[q], (0, 0))
            sums[plan.measures[q]] = (
                responses + n,
                score + n * (len(grades) - grades.index(value)),
            )
    points = {m: len(plan.grades[q]) for q, (m, _) in plan.measures.items()}
    return tuple(
        MeasureImpact(measure, size, *(_score(sums.get((measure, p))) for p in PHASES))
        for measure, size in points.items()
    )


def _by_cohort(c: Connection, plan: _Plan, audit_id: int) -> tuple[CohortImpact, ...]:
    """Each course and cohort's measures: the same means and deltas, over its attendees."""
    rated: dict[tuple[str, str], list[tuple[str, Grades, str, int]]] = {}
    for course, cohort, q, v, n in c.execute(_RATINGS_BY_COHORT, {"audit_id": audit_id}):
        if q in plan.measures:
            rated.setdefault((course, cohort), []).append((q, plan.grades[q], v, n))
    return tuple(
        CohortImpact(course, cohort, int(n), _training(plan, rated.get((course, cohort), [])))
        for course, cohort, n in c.execute(_ATTENDEES, {"audit_id": audit_id})
    )


def _score(summed: tuple[int, int] | None) -> PhaseScore:
    if summed is None:
        return PhaseScore(0, None)
    return PhaseScore(summed[0], summed[1] / summed[0])


def _aggregate(c: Connection, row: AuditRow, tool: ToolDefinition) -> AuditAggregates:
    plan = _plan(tool)
    rated = [
        (q, plan.grades[q], v, n)
        for _, q, v, n in _groups(c, _RATINGS_BY_QUESTION, row.id)
        if q in plan.grades
    ]
    by_agency = _groups(c, _RATINGS_BY_AGENCY, row.id)
    findings = _finding_groups(c, row.id, by_agency=False)
    sections = list(dict.fromkeys((plan.sections[q], g) for q, g in plan.grades.items()))
    submitted, not_submitted = _return_counts(c, row.id)
    return AuditAggregates(
        audit=row.reference,
        audit_type=row.audit_type,
        returns_submitted=submitted,
        returns_not_submitted=not_submitted,
        by_question=_fold(rated, list(plan.grades.items())),
        by_section=_fold(((plan.sections[q], g, v, n) for q, g, v, n in rated), sections),
        by_agency=_fold((k, plan.grades[q], v, n) for k, q, v, n in by_agency if q in plan.grades),
        findings_by_section=_tally(
            (((plan.sections.get(q) if q else None), kind, n, m) for q, kind, n, m in findings),
            list(dict.fromkeys(plan.sections.values())),
        ),
        findings_by_agency=_tally(_finding_groups(c, row.id, by_agency=True)),
        findings=_total("all", findings),
        eedi=_eedi(plan, rated, _closed_answers(c, row.id, list(plan.options)), findings),
        training=_training(plan, rated),
        training_by_cohort=_by_cohort(c, plan, row.id) if tool.completed_per == "attendee" else (),
    )


def audit_aggregates(deps: Deps, *, audit: AuditKey) -> AuditAggregates:
    """Every aggregate of one audit, read in one transaction so they agree with each other."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        return _aggregate(uow.connection, row, tool_for(deps, store, row))


def aggregate_in(c: Connection, row: AuditRow, tool: ToolDefinition) -> AuditAggregates:
    """``audit_aggregates`` inside a transaction already open (a report frozen as it is
    submitted counts what the submission's own transaction sees)."""
    return _aggregate(c, row, tool)


def section_ratings_by_agency(
    c: Connection, row: AuditRow, tool: ToolDefinition, agencies: Sequence[str]
) -> dict[str, tuple[Distribution, ...]]:
    """Each named agency's own ratings per section, every section seeded: what its own
    Section 175 letter shows it, beside the others'."""
    plan = _plan(tool)
    sections = list(dict.fromkeys((plan.sections[q], g) for q, g in plan.grades.items()))
    grouped: dict[str, list[tuple[str, Grades, str, int]]] = {code: [] for code in agencies}
    for code, q, v, n in _groups(c, _RATINGS_BY_AGENCY, row.id):
        if code in grouped and q in plan.grades:
            grouped[code].append((plan.sections[q], plan.grades[q], v, n))
    return {code: _fold(found, sections) for code, found in grouped.items()}


def theme_distributions(deps: Deps, *, audit_type: str) -> tuple[Distribution, ...]:
    """Ratings per theme across every audit of one type, each read with its own pinned tool."""
    deps.catalogue.check_known(audit_type)  # an unknown type is an error, not an empty answer
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        rows = uow.connection.execute(_THEMES, {"audit_type": audit_type}).all()
        grades = {
            h: _plan(deps.catalogue.tool_by_hash(h, store.read_tool_snapshot)).grades
            for h in dict.fromkeys(h for _, h, *_ in rows)
        }
    return _fold((theme, grades[h][q], v, n) for theme, h, q, v, n in rows if q in grades[h])
