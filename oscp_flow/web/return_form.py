"""The audit tool as an accessible HTML form, and a posted form back as answers.

Sections become fieldsets; each question gets a label, its help text, and a widget for its
type (ratings list every grade with the guidance on when it applies). Field names are
``q.<question id>``: only the questions this round asks are read back, so a posted field
naming anything else (an agency, another case) is never seen by the service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from starlette.datastructures import FormData

from states.definitions.tool import Question, Section, ToolDefinition
from states.errors import AnswerProblem
from states.persistence.vocabulary import ReturnStatus
from states.rules.answers import MAX_TEXT

PREFIX = "q."
YES_NO_PARTLY = (("yes", "Yes"), ("no", "No"), ("partly", "Partly"))
WIDGETS = {
    "rating": "radios",
    "yes_no_partly": "radios",
    "number": "number",
    "date": "date",
    "choice": "select",
    "free_text": "textarea",
    "evidence_reference": "textarea",
}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    hint: str = ""


@dataclass(frozen=True)
class FieldView:
    id: str
    name: str
    label: str
    hint: str
    widget: str
    required: bool
    value: str
    error: str | None
    choices: tuple[Choice, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    rows: int = 5
    max_length: int = MAX_TEXT


@dataclass(frozen=True)
class SectionView:
    title: str
    guidance: str
    fields: tuple[FieldView, ...]


@dataclass(frozen=True)
class ErrorLink:
    href: str
    text: str
    message: str = ""


@dataclass(frozen=True)
class CaseForm:
    number: int
    case: str | None
    status: str
    sections: tuple[SectionView, ...]
    errors: tuple[ErrorLink, ...] = ()

    @property
    def locked(self) -> bool:
        return self.status == ReturnStatus.SUBMITTED


def sections_in_phase(tool: ToolDefinition, phase: str | None) -> list[Section]:
    """The sections a round asks (the same rule as ``states.rules.answers.in_phase``)."""
    return [s for s in tool.sections if phase is None or s.phase in (None, phase)]


def build(
    tool: ToolDefinition,
    phase: str | None,
    *,
    number: int,
    case: str | None,
    status: str,
    values: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
) -> CaseForm:
    errors = errors or {}
    sections = []
    links = []
    for section in sections_in_phase(tool, phase):
        fields = tuple(
            _field(tool, q, f"c{number}-{q.id}", values.get(q.id, ""), errors.get(q.id))
            for q in section.questions
        )
        links += [
            ErrorLink(f"#{f.id}", f"{section.title}: {f.label}", f.error) for f in fields if f.error
        ]
        sections.append(SectionView(section.title, section.guidance, fields))
    return CaseForm(number, case, status, tuple(sections), tuple(links))


def _field(tool: ToolDefinition, q: Question, id_: str, value: str, error: str | None) -> FieldView:
    widget = WIDGETS[q.type]
    return FieldView(
        id=id_,
        name=PREFIX + q.id,
        label=q.text,
        hint=q.help,
        widget=widget,
        required=q.required,
        value=value,
        error=error,
        choices=_choices(tool, q),
        minimum=q.minimum,
        maximum=q.maximum,
        rows=3 if q.type == "evidence_reference" else 6,
    )


def _choices(tool: ToolDefinition, q: Question) -> tuple[Choice, ...]:
    if q.type == "rating":
        grades = tool.scales[q.scale or ""].grades
        return tuple(Choice(g.value, g.label, g.guidance) for g in grades)
    if q.type == "yes_no_partly":
        return tuple(Choice(value, label) for value, label in YES_NO_PARTLY)
    if q.type == "choice":
        return tuple(Choice(o.value, o.label) for o in q.options or [])
    return ()


def posted_answers(tool: ToolDefinition, phase: str | None, form: FormData) -> dict[str, str]:
    """Answers to this round's questions, exactly as typed. A field left empty is sent (so a
    cleared answer is cleared); an unticked radio group is absent (so nothing changes)."""
    answers: dict[str, str] = {}
    for section in sections_in_phase(tool, phase):
        for question in section.questions:
            value = form.get(PREFIX + question.id)
            if isinstance(value, str):
                answers[question.id] = value
    return answers


def field_errors(problems: Sequence[object]) -> dict[str, str]:
    """The first problem per question, as a sentence to show beside it."""
    found: dict[str, str] = {}
    for problem in problems:
        if isinstance(problem, AnswerProblem) and problem.question_id not in found:
            found[problem.question_id] = sentence(problem.message)
    return found


def sentence(fragment: str) -> str:
    """The engine's fragments ("needs an answer ...", "must be a number") as sentences."""
    text = fragment.strip().rstrip(".")
    if text.startswith("needs"):
        text = f"This question {text}"
    elif text.startswith(("must", "is ", "belongs")):
        text = f"This answer {text}"
    return text[:1].upper() + text[1:] + "."
