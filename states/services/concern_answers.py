"""Immediate-risk concerns raised by an answer in a return (issue 16, item 9).

A tool may declare a question an immediate-risk question (``immediate_risk`` in its YAML).
Answering it so that it raises (any words but "none" in free text; "yes", or the answers it
declares, otherwise) escalates the concern to the return's agency in the same transaction as
the return is saved, exactly as ``oscp audit concern`` does: the escalation, an event in the
history (after the return's own) and the same e-mails, never with the answer's words. Each
return and question raises once, however often the return is saved; the concern is raised by
whoever saved it, on the authority of their writing the return, and an agency nobody can be
told of is raised with anyway (the coordinators are told), since the answer cannot wait.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import Connection, and_, select

from states.definitions.tool import ToolDefinition
from states.definitions.triggers import RAISE_IMMEDIATE_RISK
from states.errors import InvalidInput
from states.persistence import tables as t
from states.persistence.store import AuditRow
from states.services.audits import compiled_for
from states.services.concerns import open_escalation, plan_for, rule_of
from states.services.deps import Deps
from states.services.writes import Writing


def after_returns_saved(deps: Deps) -> Callable[[Writing, int], None]:
    """For a write to returns: once the return's own event is recorded (``version``), each
    immediate-risk answer of this round not yet raised is raised, with its own event, in the
    same transaction (so a return and its concern are saved together or not at all)."""

    def then(w: Writing, version: int) -> None:
        row = replace(w.row, version=version)
        tool = deps.catalogue.tool_by_hash(row.tool_hash or "", w.store.read_tool_snapshot)
        for return_id, agency_id, question, answer in _unraised(w.connection, row, tool):
            row = _raise_from_answer(
                deps, w, row, (return_id, agency_id), question=question, answer=answer
            )

    return then


def _unraised(
    connection: Connection, row: AuditRow, tool: ToolDefinition
) -> list[tuple[int, int, str, str]]:
    """Answers this round to the tool's immediate-risk questions that raise a concern and
    have not raised it yet."""
    questions = [q.id for _, q in tool.questions() if q.immediate_risk]
    if not questions:
        return []
    r, a, e = t.audit_return, t.answer, t.escalation
    raised = select(e.c.id).where(
        and_(e.c.return_id == a.c.return_id, e.c.question_id == a.c.question_id)
    )
    found = connection.execute(
        select(r.c.id, r.c.agency_id, a.c.question_id, a.c.value)
        .join(a, a.c.return_id == r.c.id)
        .where(r.c.audit_id == row.id, r.c.round == row.state_round)
        .where(a.c.question_id.in_(questions), ~raised.exists())
        .order_by(r.c.id, a.c.question_id)
    ).all()
    return [
        (int(i), int(agency), str(q), str(value))
        for i, agency, q, value in found
        if tool.raises_concern(tool.question(str(q)), str(value))
    ]


def _raise_from_answer(
    deps: Deps,
    w: Writing,
    row: AuditRow,
    where: tuple[int, int],
    *,
    question: str,
    answer: str,
) -> AuditRow:
    compiled = compiled_for(deps, w.store, row)
    if not any(x.trigger == RAISE_IMMEDIATE_RISK for x in compiled.definition.transitions):
        raise InvalidInput(
            f"Audit {row.reference} takes no immediate-risk concerns, so this answer cannot "
            "be escalated from the return; tell the coordinator today instead."
        )
    return_id, agency_id = where
    plan = plan_for(w.connection, rule_of(deps, w.store, row), row, agency_id)
    code = _agency_code(w.connection, agency_id)
    reason = f"Immediate-risk concern raised with agency {code} by an answer in its return"
    version = w.store.touch(
        row, trigger=RAISE_IMMEDIATE_RISK, actor_id=w.who.id, reason=reason + plan.note(), at=w.now
    )
    tool = deps.catalogue.tool_by_hash(row.tool_hash or "", w.store.read_tool_snapshot)
    text = _concern_text(tool, question, answer)
    open_escalation(deps, w, plan, concern=text, row=row, source=(return_id, question))
    return replace(row, version=version)


def _concern_text(tool: ToolDefinition, question: str, answer: str) -> str:
    """A free-text answer is the concern in the auditor's words; a chosen answer, the
    question with the answer given."""
    asked = tool.question(question)
    if asked.type == "free_text":
        return answer
    labels = {o.value: o.label for o in asked.options or []}
    return f"{asked.text} Answer given: {labels.get(answer, answer)}."


def _agency_code(connection: Connection, agency_id: int) -> str:
    return str(
        connection.execute(select(t.agency.c.code).where(t.agency.c.id == agency_id)).scalar_one()
    )
