"""Pydantic models of an audit tool: what auditors and agencies fill in.

A tool is sections of questions. Ratings use a named scale whose grades carry guidance on how
to apply them (framework s.12: "ratings and guidance as to how the ratings should be applied");
free-text questions can be marked as where good practice, gaps or concerns are recorded, so
moderation can find them without copying the text anywhere else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from states.definitions.model import Name, Phase, Strict, Text

QuestionType = Literal[
    "rating", "yes_no_partly", "number", "date", "choice", "free_text", "evidence_reference"
]
FindingKind = Literal["strength", "gap", "concern"]
Tag = Literal["eedi", "child_voice", "other_children", "timeliness", "communication", "engagement"]
YES_NO_PARTLY = ("yes", "no", "partly")


class Grade(Strict):
    value: Name
    label: Text
    guidance: Text = Field(description="How to tell that this grade applies.")


class Scale(Strict):
    title: Text
    grades: list[Grade] = Field(min_length=2, description="Best first.")


class Option(Strict):
    value: Name
    label: Text
    counts_as: Literal["none"] | None = Field(
        default=None,
        description='"none": the answer says there was nothing of the kind (no disagreement to '
        "escalate, no particular needs), so counts leave it out rather than count it.",
    )


class Question(Strict):
    id: Name
    text: Text
    type: QuestionType
    required: bool = True
    help: str = ""
    scale: Name | None = Field(default=None, description="Rating questions: the scale used.")
    options: list[Option] | None = Field(default=None, description="Choice questions only.")
    minimum: int | None = None
    maximum: int | None = None
    finding: FindingKind | None = Field(
        default=None, description="Free text recorded here is a finding to moderate."
    )
    measure: Name | None = Field(
        default=None, description="Training impact: the same measure asked in each phase."
    )
    tags: list[Tag] = Field(default_factory=list)
    immediate_risk: bool = Field(
        default=False,
        description="An immediate-risk question: an answer that raises a concern (see "
        "raises_on) escalates it to the return's agency for assurance in the same "
        "transaction as the return is saved, as `oscp audit concern` does. A free-text "
        "question raises on any answer that does not mean none (the tool's none_answers), "
        "its words being the concern; a yes/no/partly or choice question on the answers in "
        "raises_on.",
    )
    raises_on: list[Name] = Field(
        default_factory=list,
        description="Immediate-risk yes/no/partly or choice questions: the answers that raise "
        'the concern ("yes" when a yes/no/partly question leaves it out).',
    )

    def raising_answers(self) -> frozenset[str]:
        """The answers of an immediate-risk yes/no/partly or choice question that raise it."""
        if self.raises_on or self.type != "yes_no_partly":
            return frozenset(self.raises_on)
        return frozenset({"yes"})


class Section(Strict):
    id: Name
    title: Text
    guidance: str = ""
    phase: Phase | None = None
    tags: list[Tag] = Field(default_factory=list)
    questions: list[Question] = Field(min_length=1)


class ToolDefinition(Strict):
    schema_version: Literal[1]
    tool: Name
    title: Text
    description: Text
    completed_per: Literal["agency", "case", "attendee"] = Field(
        description="One return per taking-part agency, one case audit per agency per case, "
        "or one return per registered course attendee (through their agency's training lead)."
    )
    scales: dict[Name, Scale] = Field(default_factory=dict)
    none_answers: list[Text] = Field(
        default_factory=list,
        description='Free-text answers meaning "there was none" ("none found"): where a '
        "question records a finding, such an answer (or a blank one) records none, so it "
        "counts as neither a strength nor a gap. Compared ignoring case, spaces and a final "
        "full stop.",
    )
    sections: list[Section] = Field(min_length=1)

    @property
    def per_subject(self) -> bool:
        """One return per case or attendee (a case row of the audit), not per agency."""
        return self.completed_per != "agency"

    def questions(self) -> Iterator[tuple[Section, Question]]:
        for section in self.sections:
            for question in section.questions:
                yield section, question

    def question(self, question_id: str) -> Question:
        for _, question in self.questions():
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def raises_concern(self, question: Question, answer: str) -> bool:
        """Whether ``answer`` (stored, canonical) to ``question`` raises an immediate-risk
        concern: never for an ordinary question or a blank answer."""
        if not question.immediate_risk or not answer.strip():
            return False
        if question.type == "free_text":
            return not self.means_none(answer)
        return answer in question.raising_answers()

    def no_risk_answer(self, question: Question) -> str:
        """An answer to an immediate-risk question that raises nothing: "no", an option not
        in raises_on, or the tool's first way of saying none (blank when it has none)."""
        if question.type == "free_text":
            return self.none_answers[0] if self.none_answers else ""
        values: tuple[str, ...] = tuple(o.value for o in question.options or [])
        if question.type == "yes_no_partly":
            values = ("no", *YES_NO_PARTLY)
        return next((v for v in values if not self.raises_concern(question, v)), "")

    def means_none(self, answer: str) -> bool:
        """Whether a free-text answer says there was nothing to record."""
        return _plain(answer) in {_plain(said) for said in self.none_answers} | {""}

    def canonical_json(self) -> str:
        return self.model_dump_json()

    def content_hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


def _plain(answer: str) -> str:
    return " ".join(answer.split()).rstrip(".").strip().casefold()


def tool_json_schema() -> str:
    """The JSON schema editors use for tool YAML (committed beside the audit type schema)."""
    import json

    schema = ToolDefinition.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "oscp-audit-tool.schema.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
