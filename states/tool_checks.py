"""Rules across a whole tool: unique ids, scales where ratings need them, options where
choices need them. Each yields ``(path, sentence)`` like the audit type graph checks."""

from __future__ import annotations

from collections.abc import Iterator

from states.tool import Question, ToolDefinition
from states.yaml_source import PathPart

Found = Iterator[tuple[tuple[PathPart, ...], str]]


def check_tool(tool: ToolDefinition) -> list[tuple[tuple[PathPart, ...], str]]:
    return [*_check_ids(tool), *_check_questions(tool)]


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
