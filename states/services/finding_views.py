"""Which findings a moderator sees: by section, agency, case and moderation, within reach.

Moderation works through hundreds of findings, so the list is one statement: each finding
with its agency, its case's pseudonymous reference and, for the person moderating it, the
answer it points at (a rating's grade, or the words typed where the tool records a strength,
gap or concern). Findings never copy an answer's text, so it is read here, beside the
question the pinned tool asks, and only when a moderator asks. An agency lead's reach is
their own agency's findings (``states.rules.policy.moderation_reach``); the same filter and
reach choose the rows ``confirm --all-shown`` confirms, so what is confirmed is what was shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, select

from states.definitions.tool import ToolDefinition
from states.persistence import tables as t
from states.persistence.store import AuditRow

_f, _r, _a = t.finding, t.audit_return, t.answer


@dataclass(frozen=True)
class FindingFilter:
    """The findings asked for: any field left ``None`` does not narrow the list."""

    section: str | None = None
    agency: str | None = None
    case: str | None = None
    unmoderated: bool = False


@dataclass(frozen=True)
class FindingView:
    """A finding as moderation sees it, with the answer it came from (the summary, for a
    finding the panel recorded itself)."""

    id: int
    kind: str
    question_id: str | None
    agency: str | None
    case: str | None
    original_rating: str | None
    moderated_rating: str | None
    moderated: bool
    answer: str | None = None
    section: str | None = None
    question: str | None = None


def findings_statement(
    row: AuditRow, tool: ToolDefinition | None, chosen: FindingFilter, only_agency: int | None
) -> Select[Any]:
    """The audit's findings as ``chosen`` narrows them (and to one agency's, when
    ``only_agency`` names it), in id order."""
    statement = (
        select(
            _f.c.id,
            _f.c.kind,
            _f.c.question_id,
            t.agency.c.code,
            t.case.c.reference,
            _f.c.original_rating,
            _f.c.moderated_rating,
            _f.c.moderated_at.is_not(None),
            _a.c.value,
            _f.c.summary,
        )
        .select_from(_f)
        .outerjoin(_r, _r.c.id == _f.c.return_id)
        .outerjoin(t.agency, t.agency.c.id == _r.c.agency_id)
        .outerjoin(t.case, t.case.c.id == _r.c.case_id)
        .outerjoin(_a, and_(_a.c.return_id == _f.c.return_id, _a.c.question_id == _f.c.question_id))
        .where(_f.c.audit_id == row.id)
        .order_by(_f.c.id)
    )
    return narrowed(statement, tool, chosen, only_agency)


def narrowed(
    statement: Select[Any],
    tool: ToolDefinition | None,
    chosen: FindingFilter,
    only_agency: int | None,
) -> Select[Any]:
    """``statement`` (over findings joined to returns, agencies and cases) narrowed."""
    if only_agency is not None:
        statement = statement.where(_r.c.agency_id == only_agency)
    if chosen.section is not None:
        asked = [q.id for s, q in (tool.questions() if tool else ()) if s.id == chosen.section]
        statement = statement.where(_f.c.question_id.in_(asked))
    if chosen.agency is not None:
        statement = statement.where(t.agency.c.code == chosen.agency)
    if chosen.case is not None:
        statement = statement.where(t.case.c.reference == chosen.case)
    if chosen.unmoderated:
        statement = statement.where(_f.c.moderated_at.is_(None))
    return statement


def views(found: Any, tool: ToolDefinition | None, *, answers: bool) -> list[FindingView]:
    """Rows of ``findings_statement`` with each question's section and text from the tool,
    and the answers only when ``answers`` (a moderator's own list)."""
    where = {q.id: (s.id, q.text) for s, q in tool.questions()} if tool else {}
    shown = []
    for row in found:
        finding_id, kind, question_id, agency, case, original, moderated_to, moderated = row[:8]
        section, text = where.get(question_id, (None, None))
        shown.append(
            FindingView(
                id=finding_id,
                kind=kind,
                question_id=question_id,
                agency=agency,
                case=case,
                original_rating=original,
                moderated_rating=moderated_to,
                moderated=moderated,
                # A rating's answer is its grade; the panel's own findings have a summary.
                answer=(row[8] or row[9]) if answers else None,
                section=section,
                question=text,
            )
        )
    return shown
