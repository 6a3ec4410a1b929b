"""Findings and their moderation.

Submitting a return turns its ratings and its good-practice, gap and concern answers into
findings that point back at the answer. Moderation confirms or changes each rating with a
recorded rationale; the original rating is kept beside the moderated one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from states.definitions.tool import ToolDefinition
from states.errors import InvalidInput, NotFound
from states.persistence import tables as t
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.rules.policy import Permission
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.work import write_to_audit

FINDING_KINDS = ("strength", "gap", "concern")


def findings_from_return(
    connection: Connection,
    audit_id: int,
    return_id: int,
    tool: ToolDefinition,
    answers: Mapping[str, str],
) -> None:
    rows: list[dict[str, str | None]] = []
    for _, question in tool.questions():
        if question.id not in answers:
            continue
        if question.type == "rating":
            rows.append(
                {
                    "kind": "rating",
                    "original_rating": answers[question.id],
                    "question_id": question.id,
                }
            )
        elif question.finding is not None:
            rows.append(
                {"kind": question.finding, "original_rating": None, "question_id": question.id}
            )
    if rows:
        connection.execute(
            insert(t.finding), [{**r, "audit_id": audit_id, "return_id": return_id} for r in rows]
        )


def record_finding(
    deps: Deps, *, audit: str | int, actor: str | int, kind: str, summary: str
) -> int:
    """A finding the panel notes itself, beyond those the returns carry."""
    if kind not in FINDING_KINDS:
        raise InvalidInput(f"A finding is one of {', '.join(FINDING_KINDS)}.")
    if not summary.strip():
        raise InvalidInput("Describe the finding.")

    def work(uow: UnitOfWork, row: AuditRow, _who: Actor, _now: datetime) -> int:
        return int(
            uow.connection.execute(
                insert(t.finding).returning(t.finding.c.id),
                {"audit_id": row.id, "kind": kind, "summary": summary},
            ).scalar_one()
        )

    return write_to_audit(
        deps,
        audit,
        actor,
        "record_finding",
        may=Permission.RECORD_FINDINGS,
        work=work,
    )


def moderation_open(deps: Deps, store: AuditStore, row: AuditRow) -> bool:
    definition = compiled_for(deps, store, row).definition
    return any(
        row.state in tr.sources for tr in definition.transitions if "findings_moderated" in tr.gates
    )


def moderate(
    deps: Deps,
    *,
    audit: str | int,
    actor: str | int,
    finding_id: int,
    rating: str | None = None,
    rationale: str | None = None,
) -> None:
    """Confirm a finding (no ``rating``) or change its rating, which needs a rationale."""

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> None:
        store = AuditStore(uow.connection)
        if not moderation_open(deps, store, row):
            raise InvalidInput(f"Audit {row.reference} is not at moderation ('{row.state}').")
        finding = uow.connection.execute(
            select(t.finding.c.kind, t.finding.c.original_rating, t.finding.c.question_id).where(
                t.finding.c.id == finding_id, t.finding.c.audit_id == row.id
            )
        ).first()
        if finding is None:
            raise NotFound("finding", finding_id)
        kind, original, question_id = finding
        moderated = _moderated_rating(
            deps,
            store,
            row,
            kind=kind,
            original=original,
            question_id=question_id,
            rating=rating,
            rationale=rationale,
        )
        uow.connection.execute(
            update(t.finding)
            .where(t.finding.c.id == finding_id)
            .values(
                moderated_rating=moderated,
                rationale=rationale,
                moderated_at=now,
                moderated_by=who.id,
            )
        )

    write_to_audit(
        deps, audit, actor, "moderate_finding", may=Permission.MODERATE_FINDINGS, work=work
    )


def _moderated_rating(
    deps: Deps,
    store: AuditStore,
    row: AuditRow,
    *,
    kind: str,
    original: str | None,
    question_id: str | None,
    rating: str | None,
    rationale: str | None,
) -> str | None:
    if rating is None or rating == original:
        return original
    if kind != "rating":
        raise InvalidInput("Only ratings can be changed at moderation; confirm this finding.")
    if not (rationale and rationale.strip()):
        raise InvalidInput("Give the rationale for changing a rating at moderation.")
    assert row.tool_hash is not None  # a rating finding only comes from a tool's return
    tool = deps.catalogue.tool_by_hash(row.tool_hash, store.read_tool_snapshot)
    scale = tool.scales[tool.question(question_id or "").scale or ""]
    if rating not in {g.value for g in scale.grades}:
        raise InvalidInput(
            f"'{rating}' is not on the scale; choose one of "
            f"{', '.join(g.value for g in scale.grades)}."
        )
    return rating


@dataclass(frozen=True)
class FindingView:
    """A finding as moderation sees it: where it came from, never the free text itself."""

    id: int
    kind: str
    question_id: str | None
    agency: str | None
    case: str | None
    original_rating: str | None
    moderated_rating: str | None
    moderated: bool


def list_findings(deps: Deps, *, audit: str | int) -> list[FindingView]:
    f, r = t.finding, t.audit_return
    with deps.uow(readonly=True) as uow:
        row = AuditStore(uow.connection).load_audit(audit)
        statement = (
            select(
                f.c.id,
                f.c.kind,
                f.c.question_id,
                t.agency.c.code,
                t.case.c.reference,
                f.c.original_rating,
                f.c.moderated_rating,
                f.c.moderated_at.is_not(None),
            )
            .select_from(f)
            .outerjoin(r, r.c.id == f.c.return_id)
            .outerjoin(t.agency, t.agency.c.id == r.c.agency_id)
            .outerjoin(t.case, t.case.c.id == r.c.case_id)
            .where(f.c.audit_id == row.id)
            .order_by(f.c.id)
        )
        return [FindingView(*found) for found in uow.connection.execute(statement)]
