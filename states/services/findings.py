"""Findings and their moderation.

Submitting a return turns its ratings and its good-practice, gap and concern answers into
findings that point back at the answer; an answer the tool declares as meaning "none" (or a
blank one) makes no finding, so it counts as neither a strength nor a gap. Moderation
confirms or changes each rating with a recorded rationale; the original rating is kept beside
the moderated one. An agency lead moderates their own agency's findings; the chair and the
audit's auditors every one (``states.rules.policy.moderation_reach``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from states.definitions.tool import ToolDefinition
from states.errors import InvalidInput, NotFound, PermissionDenied
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.rules.policy import Permission, Reach, moderation_reach
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.finding_views import (
    FindingFilter,
    FindingView,
    findings_statement,
    views,
)
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
        elif question.finding is not None and not tool.means_none(answers[question.id]):
            # "None found" records nothing: counted as a gap it would report the opposite.
            rows.append(
                {"kind": question.finding, "original_rating": None, "question_id": question.id}
            )
    if rows:
        connection.execute(
            insert(t.finding), [{**r, "audit_id": audit_id, "return_id": return_id} for r in rows]
        )


def record_finding(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, kind: str, summary: str
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
    return compiled_for(deps, store, row).stages.moderates(row.state)


def pinned_tool(deps: Deps, store: AuditStore, row: AuditRow) -> ToolDefinition | None:
    if row.tool_hash is None:
        return None
    return deps.catalogue.tool_by_hash(row.tool_hash, store.read_tool_snapshot)


def check_section(tool: ToolDefinition | None, chosen: FindingFilter) -> None:
    sections = [s.id for s in tool.sections] if tool else []
    if chosen.section is not None and chosen.section not in sections:
        raise InvalidInput(
            f"'{chosen.section}' is not a section of this audit's tool; choose one of "
            f"{', '.join(sections) or '(none: the audit has no tool)'}."
        )


def check_open(deps: Deps, store: AuditStore, row: AuditRow) -> None:
    if not moderation_open(deps, store, row):
        raise InvalidInput(f"Audit {row.reference} is not at moderation ('{row.state}').")


def only_agency(store: AuditStore, row: AuditRow, who: Actor) -> int | None:
    """The one agency whose findings ``who`` may moderate, or ``None`` for every finding;
    ``PermissionDenied`` for someone who moderates none."""
    if moderation_reach(store.roles_in(who, row)) is Reach.EVERY_FINDING:
        return None
    if who.agency_id is None:  # an agency lead always has an agency; refuse rather than widen
        raise PermissionDenied(f"{who.name} belongs to no agency, so moderates no findings.")
    return who.agency_id


def _within_reach(connection: Connection, finding_id: int, row: AuditRow, who: Actor) -> None:
    """Refuse a finding outside the person's reach: an agency lead's is their own agency's
    findings; the panel's own findings belong to no agency."""
    if only_agency(AuditStore(connection), row, who) is None:
        return
    agency_id = connection.execute(
        select(t.audit_return.c.agency_id)
        .join(t.finding, t.finding.c.return_id == t.audit_return.c.id)
        .where(t.finding.c.id == finding_id)
    ).scalar_one_or_none()
    if agency_id is None or agency_id != who.agency_id:
        raise PermissionDenied(
            f"{who.name} moderates only their own agency's findings, and finding {finding_id} "
            "is not one of them."
        )


def moderate(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    finding_id: int,
    rating: str | None = None,
    rationale: str | None = None,
) -> None:
    """Confirm a finding (no ``rating``) or change its rating, which needs a rationale."""

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> None:
        store = AuditStore(uow.connection)
        check_open(deps, store, row)
        finding = uow.connection.execute(
            select(t.finding.c.kind, t.finding.c.original_rating, t.finding.c.question_id).where(
                t.finding.c.id == finding_id, t.finding.c.audit_id == row.id
            )
        ).first()
        if finding is None:
            raise NotFound("finding", finding_id)
        _within_reach(uow.connection, finding_id, row, who)
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
        deps,
        audit,
        actor,
        "moderate_finding",
        may=Permission.MODERATE_OWN_AGENCY_FINDINGS,
        work=work,
    )


def change_rating(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, finding_id: int, rating: str, rationale: str
) -> None:
    """Moderate one rating to another grade, with the rationale the record keeps."""
    if not rationale.strip():
        raise InvalidInput("Give the rationale for changing a rating at moderation.")
    moderate(
        deps, audit=audit, actor=actor, finding_id=finding_id, rating=rating, rationale=rationale
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


def list_findings(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey | None = None,
    shown: FindingFilter | None = None,
) -> list[FindingView]:
    """The audit's findings as ``shown`` narrows them. A moderator (``actor``) sees those
    within their reach with the answers they came from; the engine's own use (no actor)
    sees every finding and no answer."""
    chosen = shown or FindingFilter()
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        tool = pinned_tool(deps, store, row)
        check_section(tool, chosen)
        only = None if actor is None else only_agency(store, row, store.load_actor(actor))
        found = uow.connection.execute(findings_statement(row, tool, chosen, only))
        return views(found, tool, answers=actor is not None)
