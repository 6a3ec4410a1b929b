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
    completed_per: Literal["agency", "case"] = Field(
        description="One return per taking-part agency, or one case audit per agency per case."
    )
    scales: dict[Name, Scale] = Field(default_factory=dict)
    sections: list[Section] = Field(min_length=1)

    def questions(self) -> Iterator[tuple[Section, Question]]:
        for section in self.sections:
            for question in section.questions:
                yield section, question

    def question(self, question_id: str) -> Question:
        for _, question in self.questions():
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def canonical_json(self) -> str:
        return self.model_dump_json()

    def content_hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


def tool_json_schema() -> str:
    """The JSON schema editors use for tool YAML (committed beside the audit type schema)."""
    import json

    schema = ToolDefinition.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "oscp-audit-tool.schema.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
