"""One page of an audit's findings for the person moderating them, and how far moderation got.

A thousand-case MACE carries some eighty-seven thousand findings, so the moderation page
shows them fifty at a time, grouped by the tool's sections and then by agency and case, each
with the answer it came from, who moderated it and why, and the grades a rating may be
moderated to. A page's cost follows the page, not the audit: the moderated and total counts
per agency and question (``finding_counts``, counted once per version of the audit) give the
progress overall and per section, the agencies to filter by, how many findings the filters
select and where the page falls among the groups of section and agency
(``finding_groups``); then one statement reads the ids of the page's findings from those
groups alone, and one their answers and moderators. Reach is the engine's
(``findings.only_agency``): a moderator sees exactly the findings they may moderate, and
anyone who moderates none is refused (``PermissionDenied``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, case, func, select
from sqlalchemy.orm import aliased

from states.definitions.tool import ToolDefinition
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditRow, AuditStore
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.finding_counts import Count, finding_counts
from states.services.finding_groups import Names, groups, joined, page_ids, window
from states.services.finding_views import FindingFilter, FindingView, findings_statement, views
from states.services.finding_views import narrowed as narrowed_to
from states.services.findings import check_section, moderation_open, only_agency, pinned_tool

PER_PAGE = 50
# What the page calls the findings the panel recorded itself (no section, no agency).
PANEL_TITLE = "Recorded by the panel"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Moderating:
    """A finding on the page, with what its moderation form needs."""

    finding: FindingView
    agency_name: str | None
    moderated_by: str | None
    rationale: str | None
    # The grades a rating may be moderated to, best first; none for a strength or gap.
    grades: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Progress:
    """How many of a group's findings are moderated (``key`` None: the panel's own)."""

    key: str | None
    title: str
    moderated: int
    total: int

    @property
    def done(self) -> bool:
        return self.moderated == self.total


@dataclass(frozen=True)
class FindingsPage:
    reference: str
    stage: str  # the title of the audit's current stage
    open: bool  # whether moderation is open now
    shown: FindingFilter
    findings: tuple[Moderating, ...]
    matching: int  # findings the filters select, on every page
    page: int
    pages: int
    overall: Progress
    by_section: tuple[Progress, ...]
    sections: tuple[Choice, ...]
    agencies: tuple[Choice, ...]
    grade_labels: dict[str, str]


def findings_page(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    shown: FindingFilter | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> FindingsPage:
    """The ``page``-th page (from 1; past the last, the last) of the findings ``actor`` may
    moderate, as ``shown`` narrows them; an unknown section is ``InvalidInput``."""
    chosen = shown or FindingFilter()
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        store = AuditStore(c)
        row = store.load_audit(audit)
        only = only_agency(store, row, store.load_actor(actor))
        tool = pinned_tool(deps, store, row)
        check_section(tool, chosen)
        counts = [n for n in finding_counts(c, row) if only is None or n.agency_id == only]
        names = _names(c, counts)
        asked = Asked(chosen, only, page, per_page)
        listed = _listed(c, row, tool, asked, counts=counts, names=names)
        found = _moderating(_rows(c, row, tool, listed.ids), tool)
        sections = _by_section(counts, tool)
        return FindingsPage(
            reference=row.reference,
            stage=compiled_for(deps, store, row).definition.state(row.state).title,
            open=moderation_open(deps, store, row),
            shown=chosen,
            findings=found,
            matching=listed.matching,
            page=listed.page,
            pages=listed.pages,
            overall=_summed(None, "All findings", counts),
            by_section=sections,
            sections=tuple(Choice(p.key, p.title) for p in sections if p.key is not None),
            agencies=_agencies(counts, names),
            grade_labels=_grade_labels(tool),
        )


@dataclass(frozen=True)
class Asked:
    chosen: FindingFilter
    only: int | None  # the one agency the moderator's reach is, if it is one
    page: int
    per_page: int


@dataclass(frozen=True)
class Listed:
    ids: list[int]  # the page's findings, in the list's order
    matching: int
    page: int
    pages: int


def _listed(
    connection: Connection,
    row: AuditRow,
    tool: ToolDefinition | None,
    asked: Asked,
    *,
    counts: list[Count],
    names: Names,
) -> Listed:
    """Which findings the page shows and how many the filters select: from the counts,
    reading only the page's groups, unless a case is chosen (the counts do not know cases;
    a case holds a few score findings) or the audit has no tool (only the panel's own)."""
    chosen, only = asked.chosen, asked.only
    if tool is None or chosen.case is not None:
        return _listed_by_sorting(connection, row, tool, asked)
    found = groups(counts, tool, names, chosen, only)
    matching = sum(g.size for g in found)
    pages, page = _paged(matching, asked)
    start = (page - 1) * asked.per_page
    spanned, skipped = window(found, start, asked.per_page)
    if not spanned:
        return Listed([], matching, page, pages)
    statement = page_ids(row, tool, chosen, only, spanned, skipped=skipped, per_page=asked.per_page)
    return Listed(list(connection.execute(statement).scalars()), matching, page, pages)


def _listed_by_sorting(
    connection: Connection, row: AuditRow, tool: ToolDefinition | None, asked: Asked
) -> Listed:
    """The page by counting and sorting every finding the filters select: for a case's few
    findings, or an audit with no tool (order: ``_grouped``)."""
    f = t.finding
    count = joined(select(func.count(f.c.id))).where(f.c.audit_id == row.id)
    narrowed = narrowed_to(count, tool, asked.chosen, asked.only)
    matching = int(connection.execute(narrowed).scalar_one())
    pages, page = _paged(matching, asked)
    chosen_ids = joined(select(f.c.id)).where(f.c.audit_id == row.id)
    ordered = narrowed_to(chosen_ids, tool, asked.chosen, asked.only).order_by(*_grouped(tool))
    statement = ordered.limit(asked.per_page).offset((page - 1) * asked.per_page)
    return Listed(list(connection.execute(statement).scalars()), matching, page, pages)


def _paged(matching: int, asked: Asked) -> tuple[int, int]:
    """How many pages, and the page shown: past the last, the last."""
    pages = max(1, -(-matching // asked.per_page))
    return pages, min(max(asked.page, 1), pages)


def _names(connection: Connection, counts: Iterable[Count]) -> Names:
    ids = sorted({n.agency_id for n in counts if n.agency_id is not None})
    a = t.agency
    found = connection.execute(select(a.c.id, a.c.code, a.c.name).where(a.c.id.in_(ids)))
    return {agency_id: (code, name) for agency_id, code, name in found}


def _rows(
    connection: Connection, row: AuditRow, tool: ToolDefinition | None, ids: list[int]
) -> list[Any]:
    """The page's findings (``findings_statement``'s columns, then the agency's name, the
    moderator's name and the rationale), in the order of ``ids``: the answers and the
    moderators are read for those fifty, not for every finding the order passes over."""
    moderator = aliased(t.person)
    detailed = (
        findings_statement(row, tool, FindingFilter(), None)
        .add_columns(t.agency.c.name, moderator.c.name, t.finding.c.rationale)
        .outerjoin(moderator, moderator.c.id == t.finding.c.moderated_by)
        .where(t.finding.c.id.in_(ids))
    )
    place = {finding_id: n for n, finding_id in enumerate(ids)}
    return sorted(connection.execute(detailed), key=lambda found: place[found[0]])


def _grouped(tool: ToolDefinition | None) -> list[Any]:
    """Section (in the tool's order; the panel's own last), agency, case, then id: a
    return's findings were written in the order its tool asks its questions."""
    f = t.finding
    if tool is None:
        return [f.c.id]
    place = {s.id: n for n, s in enumerate(tool.sections)}
    section_of = {q.id: place[s.id] for s, q in tool.questions()}
    return [
        case(section_of, value=f.c.question_id, else_=len(place)),
        t.agency.c.name,
        t.case.c.reference,
        f.c.id,
    ]


def _moderating(rows: Iterable[Any], tool: ToolDefinition | None) -> tuple[Moderating, ...]:
    listed = list(rows)
    scales = _scales(tool)
    return tuple(
        Moderating(
            finding=view,
            agency_name=found[10],
            moderated_by=found[11],
            rationale=found[12],
            grades=scales.get(view.question_id or "", ()) if view.kind == "rating" else (),
        )
        for view, found in zip(views(listed, tool, answers=True), listed, strict=True)
    )


def _scales(tool: ToolDefinition | None) -> dict[str, tuple[Choice, ...]]:
    """Each rating question's grades, best first."""
    if tool is None:
        return {}
    return {
        q.id: tuple(Choice(g.value, g.label) for g in tool.scales[q.scale].grades)
        for _, q in tool.questions()
        if q.type == "rating" and q.scale is not None
    }


def _grade_labels(tool: ToolDefinition | None) -> dict[str, str]:
    if tool is None:
        return {}
    return {g.value: g.label for scale in tool.scales.values() for g in scale.grades}


def _summed(key: str | None, title: str, counts: Iterable[Count]) -> Progress:
    listed = list(counts)
    return Progress(key, title, sum(c.moderated for c in listed), sum(c.total for c in listed))


def _by_section(counts: list[Count], tool: ToolDefinition | None) -> tuple[Progress, ...]:
    """Each section with findings, in the tool's order, then the panel's own."""
    section_of = {q.id: s.id for s, q in tool.questions()} if tool else {}
    sections = [(s.id, s.title) for s in tool.sections] if tool else []
    within: dict[str | None, list[Count]] = {}
    for c in counts:
        within.setdefault(section_of.get(c.question_id or ""), []).append(c)
    grouped = [
        _summed(key, title, within.get(key, ())) for key, title in [*sections, (None, PANEL_TITLE)]
    ]
    return tuple(p for p in grouped if p.total)


def _agencies(counts: Iterable[Count], names: Names) -> tuple[Choice, ...]:
    named = dict(names[c.agency_id] for c in counts if c.agency_id is not None)
    return tuple(Choice(code, name) for code, name in sorted(named.items(), key=lambda p: p[1]))
