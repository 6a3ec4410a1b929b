"""Where a page of the moderation list falls, from the counts rather than by sorting every
finding.

The list is ordered by the tool's section (the panel's own findings last), then agency name,
then case reference and finding id. The first two are groups whose sizes the per-agency,
per-question counts (``finding_counts``) already hold, so a page's place in the list is
found in memory: the groups it spans and how far into the first of them it begins. Only
those groups' findings are then read and sorted in the database (one agency's findings in
one section: some fifteen hundred of a thousand-case MACE's eighty-seven thousand), found
through the indexes on findings by return and question and by question and audit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, literal, or_, select, union_all

from states.definitions.tool import ToolDefinition
from states.persistence import tables as t
from states.persistence.store import AuditRow
from states.services.finding_counts import Count
from states.services.finding_views import FindingFilter
from states.services.finding_views import narrowed as narrowed_to

# An agency's code and name, by its id.
Names = Mapping[int, tuple[str, str]]


@dataclass(frozen=True)
class Group:
    """One section's findings of the agencies of one name (none: the panel's own)."""

    place: int  # the section's place in the tool; the panel's own come after every section
    section: str | None  # None: findings of no section of the tool
    agency_name: str | None
    agency_ids: frozenset[int]  # empty: findings of no agency (the panel's own)
    size: int


def groups(
    counts: Iterable[Count],
    tool: ToolDefinition,
    names: Names,
    chosen: FindingFilter,
    only: int | None,
) -> list[Group]:
    """The groups of the findings ``chosen`` and ``only`` select, in the list's order.
    Names sort as Python sorts them, as the agencies to filter by do: the same on every
    store, whatever its collation."""
    place = {s.id: n for n, s in enumerate(tool.sections)}
    section_of = {q.id: s.id for s, q in tool.questions()}
    sizes: dict[tuple[str | None, str | None], tuple[frozenset[int], int]] = {}
    for c in counts:
        section = section_of.get(c.question_id or "")
        if not _selected(c, section, names, chosen, only):
            continue
        name = names[c.agency_id][1] if c.agency_id is not None else None
        ids, size = sizes.get((section, name), (frozenset(), 0))
        agency = frozenset() if c.agency_id is None else frozenset({c.agency_id})
        size += c.total - c.moderated if chosen.unmoderated else c.total
        sizes[section, name] = (ids | agency, size)
    found = [
        Group(place.get(section or "", len(place)), section, name, ids, size)
        for (section, name), (ids, size) in sizes.items()
        if size
    ]
    # The panel's own (no agency) after any agency's, as PostgreSQL sorts a NULL name.
    return sorted(found, key=lambda g: (g.place, g.agency_name is None, g.agency_name or ""))


def _selected(
    c: Count, section: str | None, names: Names, chosen: FindingFilter, only: int | None
) -> bool:
    """Whether ``chosen`` and ``only`` select ``c``'s findings, as ``narrowed`` would."""
    if only is not None and c.agency_id != only:
        return False
    if chosen.section is not None and section != chosen.section:
        return False
    code = names[c.agency_id][0] if c.agency_id is not None else None
    return chosen.agency is None or code == chosen.agency


def window(found: Sequence[Group], start: int, size: int) -> tuple[list[Group], int]:
    """The groups that hold positions ``start`` to ``start + size - 1`` of the list, and
    how many of the first group's findings come before ``start``."""
    spanned: list[Group] = []
    skipped = before = 0
    for group in found:
        if before + group.size > start and before < start + size:
            skipped = skipped if spanned else start - before
            spanned.append(group)
        before += group.size
    return spanned, skipped


def page_ids(
    row: AuditRow,
    tool: ToolDefinition,
    chosen: FindingFilter,
    only: int | None,
    spanned: Sequence[Group],
    *,
    skipped: int,
    per_page: int,
) -> Select[Any]:
    """The ids of the page's findings, in the list's order: those of the groups ``spanned``,
    after the first ``skipped``. Each group is its own branch of one statement, still
    narrowed as any list of findings is, so nothing out of reach or filtered out is read."""
    f, c = t.finding, t.case
    branches = [
        narrowed_to(
            joined(
                select(f.c.id, literal(n, Integer).label("g"), c.c.reference.label("ref"))
            ).where(_of_group(row, tool, group)),
            tool,
            chosen,
            only,
        )
        for n, group in enumerate(spanned)
    ]
    every = (union_all(*branches) if len(branches) > 1 else branches[0]).subquery()
    ordered = select(every.c.id).order_by(every.c.g, every.c.ref, every.c.id)
    return ordered.limit(per_page).offset(skipped)


def _of_group(row: AuditRow, tool: ToolDefinition, group: Group) -> ColumnElement[bool]:
    """The findings of ``group`` in ``row``'s audit. For an agency's, the returns' audit as
    well (it is the findings' own) lets SQLite start from the agency's returns, and the
    index on question and audit lets PostgreSQL read only the section's findings."""
    f, r = t.finding, t.audit_return
    if group.section is None:
        asked = [q.id for _, q in tool.questions()]
        question = or_(f.c.question_id.is_(None), f.c.question_id.not_in(asked))
    else:
        question = f.c.question_id.in_([q.id for s, q in tool.questions() if s.id == group.section])
    ours = question & (f.c.audit_id == row.id)
    if not group.agency_ids:
        return ours & f.c.return_id.is_(None)
    return ours & (r.c.audit_id == row.id) & r.c.agency_id.in_(sorted(group.agency_ids))


def joined(statement: Select[Any]) -> Select[Any]:
    """``statement`` over findings with their returns, agencies and cases, as ``narrowed``
    expects to filter."""
    return (
        statement.select_from(t.finding)
        .outerjoin(t.audit_return, t.audit_return.c.id == t.finding.c.return_id)
        .outerjoin(t.agency, t.agency.c.id == t.audit_return.c.agency_id)
        .outerjoin(t.case, t.case.c.id == t.audit_return.c.case_id)
    )
