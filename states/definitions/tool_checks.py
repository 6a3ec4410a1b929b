"""Rules across a whole tool: unique ids, scales where ratings need them, options where
choices need them. Each yields ``(path, sentence)`` like the audit type graph checks."""

from __future__ import annotations

from collections.abc import Iterator

from states.definitions.tool import YES_NO_PARTLY, Question, ToolDefinition
from states.definitions.yaml_source import PathPart

Found = Iterator[tuple[tuple[PathPart, ...], str]]


def check_tool(tool: ToolDefinition) -> list[tuple[tuple[PathPart, ...], str]]:
    problems = [
        *_check_ids(tool),
        *_check_scales(tool),
        *_check_questions(tool),
        *_check_none_answers(tool),
    ]
    if not problems:  # an unused scale is often a misspelt one, reported above
        problems.extend(_check_unused_scales(tool))
    return problems


def _check_none_answers(tool: ToolDefinition) -> Found:
    if tool.none_answers and not any(q.finding for _, q in tool.questions()):
        yield ("none_answers",), "none_answers apply to questions that record findings: none does"


def _check_scales(tool: ToolDefinition) -> Found:
    for name, scale in tool.scales.items():
        values = [g.value for g in scale.grades]
        for j, value in enumerate(values):
            if value in values[:j]:
                yield ("scales", name, "grades", j, "value"), f"grade '{value}' is used twice"


def _check_unused_scales(tool: ToolDefinition) -> Found:
    used = {q.scale for _, q in tool.questions()}
    for name in tool.scales:
        if name not in used:
            yield ("scales", name), f"scale '{name}' is declared but no question uses it"


def _check_ids(tool: ToolDefinition) -> Found:
    sections: set[str] = set()
    questions: set[str] = set()
    for i, section in enumerate(tool.sections):
        if section.id in sections:
            yield ("sections", i, "id"), f"section id '{section.id}' is used twice"
        sections.add(section.id)
        for j, question in enumerate(section.questions):
            if question.id in questions:
                yield (
                    ("sections", i, "questions", j, "id"),
                    (f"question id '{question.id}' is used twice in the tool"),
                )
            questions.add(question.id)


def _check_questions(tool: ToolDefinition) -> Found:
    for i, section in enumerate(tool.sections):
        for j, question in enumerate(section.questions):
            here = ("sections", i, "questions", j)
            yield from _check_question(tool, question, here)
            if question.measure is not None and section.phase is None:
                yield (*here, "measure"), "a measure belongs in a section with a phase"


def _check_question(tool: ToolDefinition, q: Question, here: tuple[PathPart, ...]) -> Found:
    if q.type == "rating" and q.scale is None:
        yield here, f"rating question '{q.id}' needs a scale"
    elif q.scale is not None and q.type != "rating":
        yield (*here, "scale"), "only rating questions take a scale"
    elif q.scale is not None and q.scale not in tool.scales:
        yield (*here, "scale"), f"scale '{q.scale}' is not declared in scales"
    yield from _check_options(q, here)
    yield from _check_immediate_risk(q, here)
    if q.type == "choice" and not q.options:
        yield here, f"choice question '{q.id}' needs options"
    elif q.options is not None and q.type != "choice":
        yield (*here, "options"), "only choice questions take options"
    if q.finding is not None and q.type != "free_text":
        yield (*here, "finding"), "only free-text questions record findings"
    if (q.minimum is not None or q.maximum is not None) and q.type != "number":
        yield here, "only number questions take a minimum or maximum"
    if q.minimum is not None and q.maximum is not None and q.minimum > q.maximum:
        yield (*here, "minimum"), "the minimum is above the maximum"


def _check_options(q: Question, here: tuple[PathPart, ...]) -> Found:
    values = [o.value for o in q.options or []]
    for j, value in enumerate(values):
        if value in values[:j]:
            yield (*here, "options", j, "value"), f"option '{value}' is listed twice"


# The kinds of question whose answer can say "there is an immediate risk".
RISK_TYPES = frozenset({"free_text", "yes_no_partly", "choice"})


def _check_immediate_risk(q: Question, here: tuple[PathPart, ...]) -> Found:
    if q.immediate_risk and q.type not in RISK_TYPES:
        what = "only free-text, yes/no/partly or choice questions can be immediate-risk questions"
        yield (*here, "immediate_risk"), what
    if not q.raises_on:
        if q.immediate_risk and q.type == "choice":
            yield (*here, "raises_on"), "an immediate-risk choice question needs raises_on"
        return
    if not q.immediate_risk or q.type not in ("yes_no_partly", "choice"):
        what = "raises_on is for immediate-risk yes/no/partly or choice questions only"
        yield (*here, "raises_on"), what
        return
    allowed = YES_NO_PARTLY if q.type == "yes_no_partly" else [o.value for o in q.options or []]
    for j, value in enumerate(q.raises_on):
        if value not in allowed:
            yield (*here, "raises_on", j), f"'{value}' is not one of the question's answers"
