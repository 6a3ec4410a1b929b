"""One page of an audit's findings for the person moderating them, and how far moderation got.

A thousand-case MACE carries some seventy thousand findings, so the moderation page shows
them fifty at a time, grouped by the tool's sections and then by agency and case, each with
the answer it came from, who moderated it and why, and the grades a rating may be moderated
to. A page costs the same few statements whatever the audit's size: its rows (one statement
with LIMIT and OFFSET, the moderator's name joined in), how many the filters select, and the
moderated and total counts per agency and question, from which the progress overall, per
section and the agencies to filter by are summed. Reach is the engine's
(``findings.only_agency``): a moderator sees exactly the findings they may moderate, and
anyone who moderates none is refused (``PermissionDenied``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, case, func, select
from sqlalchemy.orm import aliased

from states.definitions.tool import ToolDefinition
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditRow, AuditStore
from states.services.audits import compiled_for
from states.services.deps import Deps
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
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        only = only_agency(store, row, store.load_actor(actor))
        tool = pinned_tool(deps, store, row)
        check_section(tool, chosen)
        counts = _counts(uow.connection, row, only)
        matching = int(uow.connection.execute(_count(row, tool, chosen, only)).scalar_one())
        pages = max(1, -(-matching // per_page))
        page = min(max(page, 1), pages)
        rows = _rows(uow.connection, row, tool, chosen, only, page=page, per_page=per_page)
        found = _moderating(rows, tool)
        sections = _by_section(counts, tool)
        return FindingsPage(
            reference=row.reference,
            stage=compiled_for(deps, store, row).definition.state(row.state).title,
            open=moderation_open(deps, store, row),
            shown=chosen,
            findings=found,
            matching=matching,
            page=page,
            pages=pages,
            overall=_summed(None, "All findings", counts),
            by_section=sections,
            sections=tuple(Choice(p.key, p.title) for p in sections if p.key is not None),
            agencies=_agencies(counts),
            grade_labels=_grade_labels(tool),
        )


# One row per (agency code, agency name, question): findings, moderated findings.
Count = tuple[str | None, str | None, str | None, int, int]


def _joined(statement: Select[Any]) -> Select[Any]:
    """``statement`` over findings with their returns, agencies and cases, as ``narrowed``
    expects to filter."""
    return (
        statement.select_from(t.finding)
        .outerjoin(t.audit_return, t.audit_return.c.id == t.finding.c.return_id)
        .outerjoin(t.agency, t.agency.c.id == t.audit_return.c.agency_id)
        .outerjoin(t.case, t.case.c.id == t.audit_return.c.case_id)
    )


def _counts(connection: Connection, row: AuditRow, only: int | None) -> list[Count]:
    f = t.finding
    keys = (t.agency.c.code, t.agency.c.name, f.c.question_id)
    statement = _joined(select(*keys, func.count(f.c.id), func.count(f.c.moderated_at)))
    statement = narrowed_to(statement.where(f.c.audit_id == row.id), None, FindingFilter(), only)
    return [
        (code, name, question, int(total), int(done))
        for code, name, question, total, done in connection.execute(statement.group_by(*keys))
    ]


def _count(
    row: AuditRow, tool: ToolDefinition | None, chosen: FindingFilter, only: int | None
) -> Select[Any]:
    statement = _joined(select(func.count(t.finding.c.id))).where(t.finding.c.audit_id == row.id)
    return narrowed_to(statement, tool, chosen, only)


def _rows(
    connection: Connection,
    row: AuditRow,
    tool: ToolDefinition | None,
    chosen: FindingFilter,
    only: int | None,
    *,
    page: int,
    per_page: int,
) -> list[Any]:
    """The page's findings (``findings_statement``'s columns, then the agency's name, the
    moderator's name and the rationale), grouped by section, agency and case. The page's ids
    are chosen first, over findings, returns, agencies and cases alone: the answers and the
    moderators are read for those fifty, not for every finding the sort passes over."""
    chosen_ids = _joined(select(t.finding.c.id)).where(t.finding.c.audit_id == row.id)
    ordered = narrowed_to(chosen_ids, tool, chosen, only).order_by(*_grouped(tool))
    ids = list(connection.execute(ordered.limit(per_page).offset((page - 1) * per_page)).scalars())
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
    return Progress(key, title, sum(c[4] for c in listed), sum(c[3] for c in listed))


def _by_section(counts: list[Count], tool: ToolDefinition | None) -> tuple[Progress, ...]:
    """Each section with findings, in the tool's order, then the panel's own."""
    section_of = {q.id: s.id for s, q in tool.questions()} if tool else {}
    sections = [(s.id, s.title) for s in tool.sections] if tool else []
    grouped = [
        _summed(key, title, (c for c in counts if section_of.get(c[2] or "") == key))
        for key, title in [*sections, (None, PANEL_TITLE)]
    ]
    return tuple(p for p in grouped if p.total)


def _agencies(counts: Iterable[Count]) -> tuple[Choice, ...]:
    named = {code: name for code, name, *_ in counts if code is not None and name is not None}
    return tuple(Choice(code, name) for code, name in sorted(named.items(), key=lambda p: p[1]))
