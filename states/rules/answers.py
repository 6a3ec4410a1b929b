"""Checking answers against an audit tool: pure functions, no database.

Values arrive from web forms, spreadsheets and the CLI as text or Python values; each is
checked against its question's type and stored as canonical text. Problems are collected per
question so a person sees everything to fix at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime

from states.definitions.tool import YES_NO_PARTLY, Question, ToolDefinition
from states.errors import AnswerProblem

MAX_TEXT = 10_000


class _Invalid(ValueError):
    """Raised inside a converter; its message is shown against the question."""


def _text(q: Question, value: object, tool: ToolDefinition) -> str:
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise _Invalid(f"is {len(text):,} characters; keep it under {MAX_TEXT:,}")
    return text


def _rating(q: Question, value: object, tool: ToolDefinition) -> str:
    scale = tool.scales[q.scale or ""]
    given = str(value).strip()
    for grade in scale.grades:
        if given.lower() in (grade.value, grade.label.lower()):
            return grade.value
    labels = ", ".join(g.label for g in scale.grades)
    raise _Invalid(f"'{given}' is not on the scale; choose one of {labels}")


def _yes_no_partly(q: Question, value: object, tool: ToolDefinition) -> str:
    given = str(value).strip().lower()
    if given not in YES_NO_PARTLY:
        raise _Invalid("answer yes, no or partly")
    return given


def _number(q: Question, value: object, tool: ToolDefinition) -> str:
    if isinstance(value, bool):
        raise _Invalid("must be a number")
    try:
        number = float(str(value).strip().replace(",", ""))
    except ValueError:
        raise _Invalid("must be a number") from None
    if q.minimum is not None and number < q.minimum:
        raise _Invalid(f"must be at least {q.minimum}")
    if q.maximum is not None and number > q.maximum:
        raise _Invalid(f"must be at most {q.maximum}")
    return str(int(number)) if number.is_integer() else repr(number)


def _date(q: Question, value: object, tool: ToolDefinition) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise _Invalid("must be a date written as YYYY-MM-DD") from None


def _choice(q: Question, value: object, tool: ToolDefinition) -> str:
    given = str(value).strip()
    for option in q.options or []:
        if given.lower() in (option.value, option.label.lower()):
            return option.value
    labels = ", ".join(o.label for o in q.options or [])
    raise _Invalid(f"'{given}' is not one of the options: {labels}")


CONVERTERS: dict[str, Callable[[Question, object, ToolDefinition], str]] = {
    "rating": _rating,
    "yes_no_partly": _yes_no_partly,
    "number": _number,
    "date": _date,
    "choice": _choice,
    "free_text": _text,
    "evidence_reference": _text,
}


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def in_phase(tool: ToolDefinition, phase: str | None) -> dict[str, Question]:
    """The questions a round of returns asks: all of them, or one phase's and the unphased."""
    return {
        q.id: q
        for section, q in tool.questions()
        if phase is None or section.phase in (None, phase)
    }


def normalise(
    tool: ToolDefinition, answers: Mapping[str, object], phase: str | None = None
) -> tuple[dict[str, str], list[AnswerProblem]]:
    """Canonical text per answered question, and every problem found. Blank means unanswered."""
    known = in_phase(tool, phase)
    every = {q.id for _, q in tool.questions()}
    clean: dict[str, str] = {}
    problems: list[AnswerProblem] = []
    for question_id, value in answers.items():
        question = known.get(question_id)
        if question is None:
            message = (
                "belongs to another phase of this tool, not this round"
                if question_id in every
                else "is not a question in this tool"
            )
            problems.append(AnswerProblem(question_id, message))
            continue
        if is_blank(value):
            continue
        try:
            clean[question_id] = CONVERTERS[question.type](question, value, tool)
        except _Invalid as exc:
            problems.append(AnswerProblem(question_id, str(exc)))
    return clean, problems


def missing_required(
    tool: ToolDefinition, answered: Mapping[str, str], phase: str | None = None
) -> list[AnswerProblem]:
    return [
        AnswerProblem(q.id, "needs an answer before the return can be submitted")
        for q in in_phase(tool, phase).values()
        if q.required and q.id not in answered
    ]
