"""Loading audit tools: every broken rule is refused with its place, and the shipped tools hold.

``broken_tools/`` holds one small file per rule, each the minimal valid tool below with
exactly one thing wrong and a ``tool`` equal to its file name (except the file that breaks
that rule). ``EXPECTED`` says, for every file there, which problem it must produce. Where the
loader's message today is poorer than it should be, the expectation states the right message
and the case is marked as an expected failure in ``POOR_MESSAGES``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from states.definitions.loader import load_directory, load_tool, load_tool_directory, load_tool_text
from states.definitions.tool import ToolDefinition, tool_json_schema
from states.errors import DefinitionError, Problem

ROOT = Path(__file__).resolve().parents[3]
CORPUS = Path(__file__).resolve().parent / "broken_tools"
TOOLS = ROOT / "definitions" / "tools"
AUDIT_TYPES = ROOT / "definitions" / "audit_types"
SCHEMA_FILE = ROOT / "definitions" / "schema" / "audit-tool.schema.json"
SCHEMA_COMMENT = "# yaml-language-server: $schema=../schema/audit-tool.schema.json\n"

MINIMAL = """\
schema_version: 1
tool: {tool}
title: Minimal tool
description: One rule broken; everything else is the minimal valid tool.
completed_per: case
scales:
  quality:
    title: Quality of practice
    grades:
      - value: good
        label: Good
        guidance: Practice met the child's needs.
      - value: poor
        label: Poor
        guidance: Practice did not meet the child's needs.
sections:
  - id: practice
    title: Practice
    questions:
      - id: practice_rating
        text: How good was practice?
        type: rating
        scale: quality
      - id: good_practice
        text: What good practice did you find?
        type: free_text
        finding: strength
"""

# file name -> (path inside the file, fragment of the message, line)
EXPECTED: dict[str, tuple[str, str, int | None]] = {
    "duplicate_grade_value.yaml": (
        "scales.quality.grades[1].value",
        "grade 'good' is used twice",
        14,
    ),
    "duplicate_option_value.yaml": (
        "sections[0].questions[2].options[1].value",
        "option 'phone' is listed twice",
        35,
    ),
    "unused_scale.yaml": (
        "scales.impact",
        "scale 'impact' is declared but no question uses it",
        18,
    ),
    "choice_without_options.yaml": (
        "sections[0].questions[2]",
        "choice question 'level_of_support' needs options",
        29,
    ),
    "duplicate_question_id.yaml": (
        "sections[1].questions[0].id",
        "question id 'practice_rating' is used twice in the tool",
        32,
    ),
    "duplicate_section_id.yaml": ("sections[1].id", "section id 'practice' is used twice", 29),
    "empty_section.yaml": ("sections[1].questions", "a section needs at least one question", 31),
    "finding_on_non_free_text.yaml": (
        "sections[0].questions[0].finding",
        "only free-text questions record findings",
        25,
    ),
    "measure_without_phase.yaml": (
        "sections[0].questions[0].measure",
        "a measure belongs in a section with a phase",
        25,
    ),
    "minimum_above_maximum.yaml": (
        "sections[0].questions[2].minimum",
        "the minimum is above the maximum",
        32,
    ),
    "no_sections.yaml": ("sections", "a tool needs at least one section", 17),
    "none_answers_without_findings.yaml": (
        "none_answers",
        "none_answers apply to questions that record findings",
        7,
    ),
    "options_on_non_choice.yaml": (
        "sections[0].questions[1].options",
        "only choice questions take options",
        30,
    ),
    "rating_without_scale.yaml": (
        "sections[0].questions[0]",
        "rating question 'practice_rating' needs a scale",
        21,
    ),
    "scale_on_non_rating.yaml": (
        "sections[0].questions[1].scale",
        "only rating questions take a scale",
        29,
    ),
    "scale_with_one_grade.yaml": ("scales.quality.grades", "a scale needs at least two grades", 11),
    "tool_not_matching_file_name.yaml": (
        "tool",
        "must match the file name 'tool_not_matching_file_name'",
        3,
    ),
    "unknown_key.yaml": ("sections[0].questions[0].hint", "unknown key 'hint'", 25),
    "unknown_question_type.yaml": (
        "sections[0].questions[1].type",
        "should be 'rating', 'yes_no_partly', 'number', 'date', 'choice', 'free_text' or",
        27,
    ),
    "unknown_scale.yaml": (
        "sections[0].questions[0].scale",
        "scale 'qualty' is not declared in scales",
        24,
    ),
}

# file name -> why its message today falls short of EXPECTED (an expected failure until fixed)
POOR_MESSAGES: dict[str, str] = {}

MACE_SECTIONS = (
    "lived_experience",
    "other_children",
    "timeliness",
    "communication",
    "engagement",
    "assessment_planning",
    "impact_outcome",
    "eedi",
)


def minimal(tool: str = "minimal") -> str:
    return MINIMAL.format(tool=tool)


def only_problem(path: Path) -> Problem:
    with pytest.raises(DefinitionError) as info:
        load_tool(path)
    problems = info.value.problems
    assert len(problems) == 1, f"{path.name} should break exactly one rule: {problems}"
    return problems[0]


def shipped() -> dict[str, ToolDefinition]:
    return load_tool_directory(TOOLS)


def _case(name: str) -> Any:
    """A corpus case; one whose message is known to be poor is an expected failure."""
    reason = POOR_MESSAGES.get(name)
    marks = [] if reason is None else [pytest.mark.xfail(strict=True, reason=reason)]
    return pytest.param(name, EXPECTED[name], id=name, marks=marks)


# --- the corpus --------------------------------------------------------------------------


def test_minimal_tool_is_valid() -> None:
    """Each corpus file is this with one change, so this itself must load."""
    model = load_tool_text(minimal(), "minimal.yaml")
    assert model.question("practice_rating").scale == "quality"


def test_every_corpus_file_has_an_expectation() -> None:
    on_disk = {p.name for p in CORPUS.iterdir()}
    assert on_disk == set(EXPECTED), (
        f"untested: {sorted(on_disk - set(EXPECTED))}, missing: {sorted(set(EXPECTED) - on_disk)}"
    )
    assert set(POOR_MESSAGES) <= set(EXPECTED)


@pytest.mark.parametrize(("name", "expected"), [_case(name) for name in sorted(EXPECTED)])
def test_broken_tool_is_refused_with_its_place(
    name: str, expected: tuple[str, str, int | None]
) -> None:
    path_in_file, fragment, line = expected
    problem = only_problem(CORPUS / name)
    assert problem.file == name
    assert problem.path == path_in_file
    assert problem.line == line
    assert fragment in problem.message


def test_expected_messages_are_distinct() -> None:
    fragments = [fragment for _, fragment, _ in EXPECTED.values()]
    assert len(set(fragments)) == len(fragments)


def test_every_corpus_file_produces_a_different_message() -> None:
    messages = [only_problem(CORPUS / name).message for name in sorted(EXPECTED)]
    repeated = {m for m in messages if messages.count(m) > 1}
    assert not repeated


def test_corpus_tools_match_their_file_names() -> None:
    """So no corpus file fails only because its tool differs from its name."""
    for name in EXPECTED:
        if name == "tool_not_matching_file_name.yaml":
            continue
        text = (CORPUS / name).read_text(encoding="utf-8")
        assert f"\ntool: {Path(name).stem}\n" in text, name


def test_message_names_the_file_line_and_place() -> None:
    with pytest.raises(DefinitionError) as info:
        load_tool(CORPUS / "unknown_scale.yaml")
    assert str(info.value) == (
        "unknown_scale.yaml, line 24 at sections[0].questions[0].scale: scale 'qualty' is not "
        "declared in scales; fix the file and validate it again."
    )


def test_load_tool_directory_reports_the_problems_of_every_file(tmp_path: Path) -> None:
    (tmp_path / "fine.yaml").write_text(minimal("fine"), encoding="utf-8")
    for name in ("unknown_scale.yaml", "duplicate_section_id.yaml"):
        (tmp_path / name).write_bytes((CORPUS / name).read_bytes())
    with pytest.raises(DefinitionError) as info:
        load_tool_directory(tmp_path)
    assert [p.file for p in info.value.problems] == [
        "duplicate_section_id.yaml",
        "unknown_scale.yaml",
    ]


# --- the shipped tools -------------------------------------------------------------------


def test_every_shipped_tool_loads() -> None:
    stems = {p.stem for p in TOOLS.iterdir() if p.suffix in {".yaml", ".yml"}}
    assert stems, "no tools found"
    loaded = shipped()
    assert set(loaded) == stems
    assert all(isinstance(m, ToolDefinition) for m in loaded.values())


def test_every_audit_type_names_a_shipped_tool() -> None:
    named = {definition.tool for definition in load_directory(AUDIT_TYPES).values()}
    assert named == set(shipped())


def test_every_shipped_tool_points_editors_at_the_schema() -> None:
    for path in sorted(TOOLS.glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines(keepends=True)[0]
        assert first == SCHEMA_COMMENT, path.name


def test_every_shipped_rating_scale_has_guidance_on_every_grade() -> None:
    for name, tool in shipped().items():
        for scale_name, scale in tool.scales.items():
            where = f"{name}: scale '{scale_name}'"
            values = [grade.value for grade in scale.grades]
            assert len(set(values)) == len(values), f"{where} repeats a grade"
            guidance = [grade.guidance for grade in scale.grades]
            assert len(set(guidance)) == len(guidance), f"{where} repeats guidance"
            for grade in scale.grades:
                assert len(grade.guidance.split()) >= 8, f"{where}: '{grade.value}' guidance"


def test_every_declared_scale_is_used() -> None:
    for name, tool in shipped().items():
        used = {q.scale for _, q in tool.questions() if q.type == "rating"}
        assert used == set(tool.scales), name


def test_choice_options_are_distinct() -> None:
    for name, tool in shipped().items():
        for _, question in tool.questions():
            values = [option.value for option in question.options or []]
            assert len(set(values)) == len(values), f"{name}: {question.id}"


def test_mace_has_the_framework_sections_with_rating_strength_and_gap() -> None:
    mace = shipped()["mace_case_file"]
    assert mace.completed_per == "case"
    sections = {section.id: section for section in mace.sections}
    assert set(MACE_SECTIONS) <= set(sections)
    for section_id in MACE_SECTIONS:
        questions = sections[section_id].questions
        ratings = [q for q in questions if q.type == "rating"]
        strengths = [q for q in questions if q.finding == "strength"]
        gaps = [q for q in questions if q.finding == "gap"]
        assert ratings and strengths and gaps, section_id
        assert all(q.scale == "practice_quality" for q in ratings), section_id
        assert all(q.required for q in [*strengths, *gaps]), section_id
    tagged = {
        "lived_experience": "child_voice",
        "other_children": "other_children",
        "timeliness": "timeliness",
        "communication": "communication",
        "engagement": "engagement",
        "eedi": "eedi",
    }
    for section_id, tag in tagged.items():
        assert tag in sections[section_id].tags, section_id


def test_mace_uses_the_four_point_scale() -> None:
    scale = shipped()["mace_case_file"].scales["practice_quality"]
    assert [g.value for g in scale.grades] == [
        "outstanding",
        "good",
        "requires_improvement",
        "inadequate",
    ]


def test_mace_reflection_and_immediate_risk() -> None:
    mace = shipped()["mace_case_file"]
    assert "hindsight" in mace.question("factors_affecting_practice").help
    concern = mace.question("immediate_risk_concern")
    assert concern.finding == "concern"
    # Answering it raises the escalation itself (issue 16, item 9): no "also tell" any more.
    assert concern.immediate_risk
    assert "raises it at once as an immediate-risk concern" in concern.help
    assert "also tell" not in concern.help


def test_section_11_rates_every_standard_on_one_cumulative_scale() -> None:
    tool = shipped()["section_11_standards"]
    assert [g.value for g in tool.scales["rag"].grades] == ["green", "amber", "red"]
    assert "Everything Amber requires" in tool.scales["rag"].grades[0].guidance
    standards = [s for s in tool.sections if any(q.type == "rating" for q in s.questions)]
    assert len(standards) >= 11
    for section in standards:
        kinds = [(q.type, q.finding, q.required) for q in section.questions]
        assert ("rating", None, True) in kinds, section.id
        assert ("evidence_reference", None, True) in kinds, section.id
        assert ("free_text", "gap", False) in kinds, section.id
        assert all(q.scale == "rag" for q in section.questions if q.type == "rating")


def test_section_175_standards_are_red_amber_green_with_evidence() -> None:
    tool = shipped()["section_175_standards"]
    for scale in tool.scales.values():
        assert [g.value for g in scale.grades] == ["green", "amber", "red"]
    standards = [s for s in tool.sections if any(q.type == "rating" for q in s.questions)]
    assert len(standards) >= 11
    for section in standards:
        assert any(q.type == "evidence_reference" and q.required for q in section.questions)


def test_training_measures_are_asked_once_in_every_phase_on_one_scale() -> None:
    tool = shipped()["training_impact_survey"]
    phases = [section.phase for section in tool.sections]
    assert phases == ["before", "after", "follow_up"]
    asked: dict[str, list[tuple[str | None, str | None]]] = {}
    for section, question in tool.questions():
        if question.measure is not None:
            asked.setdefault(question.measure, []).append((section.phase, question.scale))
    assert {"confidence_recognising_neglect", "knowledge_of_pathways"} <= set(asked)
    for measure, where in asked.items():
        assert where == [(p, "confidence") for p in phases], measure


def test_exception_report_counts_children_and_never_names_them() -> None:
    tool = shipped()["single_agency_exception_report"]
    count = tool.question("children_affected")
    assert (count.type, count.minimum) == ("number", 0)
    assert "never names" in count.help
    assert tool.question("risk_found").finding == "concern"


def test_mace_declares_which_answers_mean_none() -> None:
    """An answer of "none found" (what the gap questions ask for) is no gap, whatever its
    case or full stop; one that says something is; choices meaning "none" say so too."""
    mace = shipped()["mace_case_file"]
    assert mace.means_none("None found.") and mace.means_none("  none  found ")
    assert mace.means_none("")
    assert not mace.means_none("None of the agencies shared the plan")
    nones = {(q.id, o.value) for _, q in mace.questions() for o in q.options or [] if o.counts_as}
    assert nones == {
        ("professional_challenge", "not_needed"),
        ("communication_needs_met", "not_needed"),
        ("non_engagement_response", "not_applicable"),
    }


# --- the committed schema ----------------------------------------------------------------


def test_committed_tool_json_schema_is_up_to_date() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    generated = tool_json_schema()
    assert json.loads(committed) == json.loads(generated)
    assert committed == generated, "regenerate it with states.definitions.tool.tool_json_schema()"
