"""Immediate-risk questions in a tool (issue 16, item 9): declared with ``immediate_risk`` (and,
for a yes/no/partly or choice question, ``raises_on``), checked when the tool is loaded, and
declared on the MACE tool's question that asks for the concern."""

from __future__ import annotations

import pytest

from states.definitions.loader import load_tool_directory, load_tool_text
from states.errors import DefinitionError
from tests.support.paths import ROOT

TOOLS = ROOT / "definitions" / "tools"
# A valid tool of one section, to which each test adds its immediate-risk question.
MINIMAL = """\
schema_version: 1
tool: minimal
title: Minimal tool
description: The minimal valid tool, with one question added by each test.
completed_per: case
sections:
  - id: practice
    title: Practice
    questions:
      - id: practice_seen
        text: Was the child seen?
        type: yes_no_partly
      - id: good_practice
        text: What good practice did you find?
        type: free_text
        finding: strength
"""
RISK_QUESTION = """\
      - id: risk
        text: Is a child at immediate risk?
        type: {type}
        required: false
{extra}"""


def _tool(question_type: str, extra: str = "        immediate_risk: true\n") -> str:
    return MINIMAL + RISK_QUESTION.format(type=question_type, extra=extra)


def _problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as info:
        load_tool_text(text, "risk.yaml")
    return [(p.path, p.message) for p in info.value.problems]


def test_free_text_and_yes_no_questions_may_be_immediate_risk_questions() -> None:
    free = load_tool_text(_tool("free_text"), "risk.yaml").question("risk")
    assert free.immediate_risk and free.raises_on == []
    yes_no = load_tool_text(_tool("yes_no_partly"), "risk.yaml").question("risk")
    assert yes_no.raising_answers() == {"yes"}
    declared = load_tool_text(
        _tool("yes_no_partly", "        immediate_risk: true\n        raises_on: [yes, partly]\n"),
        "risk.yaml",
    ).question("risk")
    assert declared.raising_answers() == {"yes", "partly"}


def test_other_kinds_of_question_and_stray_answers_are_refused_with_their_place() -> None:
    here = "sections[0].questions[2]"
    assert _problems(_tool("number")) == [
        (
            f"{here}.immediate_risk",
            "only free-text, yes/no/partly or choice questions can be immediate-risk questions",
        )
    ]
    assert _problems(
        _tool("yes_no_partly", "        immediate_risk: true\n        raises_on: [maybe]\n")
    ) == [(f"{here}.raises_on[0]", "'maybe' is not one of the question's answers")]
    assert _problems(_tool("free_text", "        raises_on: [yes]\n")) == [
        (
            f"{here}.raises_on",
            "raises_on is for immediate-risk yes/no/partly or choice questions only",
        )
    ]
    choice = _tool(
        "choice",
        "        immediate_risk: true\n        options:\n          - {value: now, label: Now}\n",
    )
    assert _problems(choice) == [
        (f"{here}.raises_on", "an immediate-risk choice question needs raises_on")
    ]


def test_the_mace_concern_question_is_the_immediate_risk_question() -> None:
    mace = load_tool_directory(TOOLS)["mace_case_file"]
    declared = [q.id for _, q in mace.questions() if q.immediate_risk]
    assert declared == ["immediate_risk_concern"]
    question = mace.question("immediate_risk_concern")
    assert mace.raises_concern(question, "The child was left with a barred adult")
    assert not mace.raises_concern(question, "None found.")
    assert not mace.raises_concern(question, "   ")
    assert mace.no_risk_answer(question) == "none found"
