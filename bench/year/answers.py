"""What a busy agency writes in a return: every question answered, the ratings spread, and
now and then an immediate-risk concern raised (which the engine escalates to the agency's
strategic lead for assurance, as in life). Free text never names anyone."""

from __future__ import annotations

import random

from states.definitions.tool import Question, ToolDefinition
from states.rules.answers import in_phase

NOTE = "Recorded from the agency's own case records; see the agency's audit file."
CONCERN = "The plan for the household has drifted and needs a senior manager's review today."


def answers_for(
    tool: ToolDefinition, phase: str | None, rng: random.Random, *, concern: bool
) -> dict[str, object]:
    """A complete, valid return for ``tool`` (or one phase of it); with ``concern`` its first
    immediate-risk question raises one."""
    answers: dict[str, object] = {}
    raised = False
    for q in in_phase(tool, phase).values():
        if q.immediate_risk:
            if concern and not raised:
                answers[q.id] = _raising(tool, q)
                raised = True
            else:
                answers[q.id] = tool.no_risk_answer(q)
            continue
        answers[q.id] = _answer(tool, q, rng)
    return answers


def _raising(tool: ToolDefinition, q: Question) -> str:
    if q.type == "free_text":
        return CONCERN
    values = [o.value for o in q.options or []] or ["yes", "partly", "no"]
    return next(v for v in values if tool.raises_concern(q, v))


def _answer(tool: ToolDefinition, q: Question, rng: random.Random) -> object:
    if q.type == "rating":
        grades = tool.scales[q.scale or ""].grades
        return grades[min(int(rng.triangular(0, len(grades), 1)), len(grades) - 1)].value
    if q.type == "yes_no_partly":
        return rng.choice(("yes", "yes", "partly", "no"))
    if q.type == "number":
        return max(q.minimum or 0, 1)
    if q.type == "date":
        return "2026-02-02"
    if q.type == "choice":
        return (q.options or [])[0].value
    return NOTE
