"""Loading audit type definitions: every broken rule is refused with its place in the file.

``broken_definitions/`` holds one small file per rule, each the minimal valid definition below
with exactly one thing wrong and an ``audit_type`` equal to its file name (except the file that
breaks that rule). ``EXPECTED`` says, for every file there, which problem it must produce.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from states.definitions.loader import load_definition, load_directory, load_text
from states.definitions.model import AuditTypeDefinition, definition_json_schema
from states.definitions.yaml_source import MAX_BYTES, MAX_NODES, parse_yaml
from states.errors import DefinitionError, Problem

ROOT = Path(__file__).resolve().parents[3]
CORPUS = Path(__file__).resolve().parent / "broken_definitions"
AUDIT_TYPES = ROOT / "definitions" / "audit_types"
# The corpus is checked against the shipped tools, as `oscp definitions validate FILE` does.
SHIPPED_TOOLS = frozenset(p.stem for p in (ROOT / "definitions" / "tools").glob("*.yaml"))
SCHEMA_FILE = ROOT / "definitions" / "schema" / "audit-type.schema.json"

MINIMAL = """\
schema_version: 1
audit_type: {audit_type}
title: Minimal audit
description: The smallest definition the loader accepts.
framework_reference: Section 1
tool: mace_case_file
roles: [coordinator, chair]
states:
  - name: planning
    title: Planning
    initial: true
  - name: closed
    title: Closed
    final: true
transitions:
  - trigger: close
    title: Close the audit
    source: planning
    dest: closed
    roles: [coordinator]
"""

# file name -> (path inside the file, fragment of the message, line)
EXPECTED: dict[str, tuple[str, str, int | None]] = {
    "action_reminders_miss_the_agency.yaml": (
        "action_reminders.remind",
        "an action's reminders must go to its agency",
        11,
    ),
    # Where the expansion first grows too large: the anchor &e, ten times &d.
    "alias_bomb.yaml": ("laughs.e", f"expands to more than {MAX_NODES:,} YAML nodes", 14),
    "audit_type_not_matching_file_name.yaml": (
        "audit_type",
        "must match the file name 'audit_type_not_matching_file_name'",
        3,
    ),
    "collecting_without_all_returns_in.yaml": (
        "states[1].stage",
        "state 'returns_open' collects returns, so it needs a way out gated by all_returns_in",
        15,
    ),
    "deadline_with_both_measures.yaml": (
        "states[0].deadline",
        "give exactly one of working_days or calendar_days",
        14,
    ),
    "disclosure_bandings_differ.yaml": (
        "products",
        "every product must use the same min_cell",
        10,
    ),
    "disclosure_cell_too_small.yaml": (
        "products.feedback_letter.disclosure",
        "min_cell must be at least 3",
        12,
    ),
    "disseminating_without_dissemination_block.yaml": (
        "states[0].stage",
        "state 'planning' shares learning, so the definition needs a dissemination block",
        12,
    ),
    "disseminating_without_dissemination_gate.yaml": (
        "transitions[0]",
        "'close' leaves 'planning', which shares learning, so it needs the gate "
        "dissemination_recorded",
        24,
    ),
    "dissemination_channel_unknown.yaml": (
        "dissemination.items[0].channels[1]",
        "'carrier_pigeon' is not one of the values allowed here: 'learning_hub_meeting', ",
        14,
    ),
    "dissemination_gate_outside_disseminating.yaml": (
        "transitions[0].gates[0]",
        "gate 'dissemination_recorded' may only gate a way out of a disseminating state "
        "('planning' is not)",
        28,
    ),
    "dissemination_item_declared_twice.yaml": (
        "dissemination.items[1].id",
        "item 'briefing' is declared twice",
        15,
    ),
    "duplicate_state_name.yaml": ("states[1].name", "state 'planning' is declared twice", 13),
    "duplicate_state_with_wildcard_transitions.yaml": (
        "states[2].name",
        "state 'review' is declared twice",
        16,
    ),
    "duplicate_trigger_from_one_state.yaml": (
        "transitions[1].trigger",
        "trigger 'close' is declared twice from 'planning'",
        25,
    ),
    "duplicate_yaml_key.yaml": ("", "repeats the key 'title' in one mapping", 21),
    "escalation_trigger_not_everywhere.yaml": (
        "transitions[2].source",
        "'raise_immediate_risk' must be allowed from every open state",
        31,
    ),
    "escalation_trigger_not_internal.yaml": (
        "transitions[1]",
        "'raise_immediate_risk' must leave the state as it is: mark it internal",
        22,
    ),
    "escalation_without_assurance.yaml": (
        "transitions",
        "immediate-risk concerns need the trigger 'record_assurance'",
        17,
    ),
    "final_stage_on_open_state.yaml": (
        "states[0].stage",
        "stage 'closed' is for final states, and 'planning' is not final",
        12,
    ),
    "final_state_with_deadline.yaml": (
        "states[1].deadline",
        "final state 'closed' cannot have a deadline",
        17,
    ),
    "gate_needs_setting.yaml": (
        "transitions[0].gates[0]",
        "gate 'cases_within_window' needs 'case_window_months' set",
        22,
    ),
    "gate_needs_sign_off.yaml": (
        "transitions[0].gates[0]",
        "gate 'sign_off_quorum' needs 'sign_off' set",
        23,
    ),
    "initial_and_final_state.yaml": (
        "states[1]",
        "state 'closed' cannot be both initial and final",
        12,
    ),
    "internal_with_dest.yaml": (
        "transitions[1].dest",
        "an internal transition keeps the state, so it takes no dest",
        26,
    ),
    "missing_dest.yaml": (
        "transitions[1]",
        "dest is required (or mark the transition internal)",
        22,
    ),
    "missing_required_key.yaml": ("tool", "required key 'tool' is missing", 2),
    "missing_schema_version.yaml": ("", "schema_version is missing (use 1)", 2),
    "moderating_without_findings_moderated.yaml": (
        "states[1].stage",
        "state 'moderation' moderates findings, so it needs a way out gated by findings_moderated",
        15,
    ),
    "name_not_lowercase.yaml": (
        "states[1].name",
        "names use lower-case letters, digits and underscores",
        13,
    ),
    "no_final_state.yaml": ("states", "at least one state must be final", 10),
    "no_initial_state.yaml": ("states", "exactly one state must be initial (found: none)", 10),
    "not_a_mapping.yaml": ("", "must be a mapping of keys to values", None),
    "reminder_role_not_declared.yaml": (
        "states[0].deadline.reminders.overdue[0].notify[0]",
        "role 'strategic_lead' is not declared in roles",
        22,
    ),
    "reminders_not_descending.yaml": (
        "states[0].deadline.reminders",
        "before_working_days must be distinct and in descending order",
        18,
    ),
    "role_not_in_partnership_vocabulary.yaml": (
        "roles[2]",
        "'caseworker' is not a role of the partnership",
        8,
    ),
    "participants_owe_work_where_nothing_is_collected.yaml": (
        "states[0].deadline.owed_by",
        "state 'planning' has work owed by the participants, so it must collect returns",
        18,
    ),
    "reopens_returns_outside_collecting.yaml": (
        "transitions[1].reopens_returns",
        "'send_back' reopens returns, so it must lead into a state that collects returns",
        29,
    ),
    "sign_off_deadline_outside_signing_off.yaml": (
        "states[0].deadline.owed_by",
        "nothing there is owed by the sign-off members",
        16,
    ),
    "sign_off_gate_outside_signing_off.yaml": (
        "transitions[0].gates[0]",
        "gate 'sign_off_refused' may only gate a way out of a signing_off state",
        25,
    ),
    "sign_off_bodies_and_roles.yaml": (
        "sign_off",
        "name the bodies (each with its quorum) or the roles and one quorum, not both",
        10,
    ),
    "sign_off_body_kind_unknown.yaml": (
        "sign_off.bodies[1].kind",
        "'safeguarding_board' is not one of the values allowed here: 'learning_hub', "
        "'statutory_partners', 'performance_group' or 'subgroup'",
        13,
    ),
    "sign_off_body_named_twice.yaml": (
        "sign_off",
        "learning_hub is named twice; give each body one quorum",
        10,
    ),
    "sign_off_majority_by_roles.yaml": (
        "sign_off",
        "refusal: majority needs bodies, each deciding by its majority",
        10,
    ),
    "sign_off_names_nobody.yaml": (
        "sign_off",
        "name the bodies that sign off, each with its quorum",
        10,
    ),
    "sign_off_quorum_unreachable.yaml": (
        "sign_off.bodies[0].quorum",
        "a quorum of 4 can never be reached: statutory_partners has at most 3 members",
        12,
    ),
    "sign_off_role_not_declared.yaml": (
        "sign_off.roles[1]",
        "role 'statutory_partner' is not declared in roles",
        10,
    ),
    "signing_off_without_approval.yaml": (
        "states[1].stage",
        "signs off, so it needs a way out gated by sign_off_quorum",
        18,
    ),
    "state_ends_only_by_withdrawal.yaml": (
        "states[1].name",
        "state 'parked' can only end by withdrawal",
        13,
    ),
    "state_cannot_reach_final.yaml": (
        "states[1].name",
        "state 'limbo' cannot reach any final state",
        13,
    ),
    "summary_is_not_a_product.yaml": ("products.summary", "unknown key 'summary'", 11),
    "transition_out_of_final_state.yaml": (
        "transitions[1].source",
        "'reopen' leaves final state 'closed'",
        24,
    ),
    "two_approvals_from_one_state.yaml": (
        "states[1].stage",
        "has 2 ways out gated by sign_off_quorum; an approval must lead one way",
        18,
    ),
    "two_initial_states.yaml": (
        "states",
        "exactly one state must be initial (found: planning, review)",
        10,
    ),
    "unknown_dest_state.yaml": (
        "transitions[0].dest",
        "destination state 'finished' is not declared",
        20,
    ),
    "unknown_gate.yaml": (
        "transitions[0].gates[0]",
        "gate 'all_returns_received' is not known",
        22,
    ),
    "unknown_key_nested.yaml": ("states[1].colour", "unknown key 'colour'", 15),
    "unknown_key_top_level.yaml": ("owner", "unknown key 'owner'", 9),
    "unknown_tool.yaml": (
        "tool",
        "names the tool 'mace_case_files', which is not a known tool (benchmarking_tool, ",
        7,
    ),
    "unknown_role_in_transition.yaml": (
        "transitions[0].roles[0]",
        "role 'auditor' is not declared in roles",
        21,
    ),
    "unknown_source_state.yaml": (
        "transitions[0].source",
        "source state 'planing' is not declared",
        19,
    ),
    "unreachable_state.yaml": (
        "states[1].name",
        "state 'archived' cannot be reached from 'planning'",
        13,
    ),
    "wrong_schema_version.yaml": ("schema_version", "schema_version 2 is not supported", 2),
    "yaml_syntax_error.yaml": ("", "is not valid YAML: mapping values are not allowed here", 11),
}


def minimal(audit_type: str = "minimal") -> str:
    return MINIMAL.format(audit_type=audit_type)


def only_problem(path: Path) -> Problem:
    with pytest.raises(DefinitionError) as info:
        load_definition(path, tools=SHIPPED_TOOLS)
    problems = info.value.problems
    assert len(problems) == 1, f"{path.name} should break exactly one rule: {problems}"
    return problems[0]


def padded(text: str, size: int) -> str:
    """``text`` followed by comment lines, exactly ``size`` bytes of UTF-8 in all."""
    line = "# " + "padding " * 12 + "\n"
    need = size - len(text.encode("utf-8"))
    count, last = divmod(need, len(line))
    if last == 1:  # the shortest comment line is "#\n"
        count, last = count - 1, last + len(line)
    tail = "#" + "x" * (last - 2) + "\n" if last else ""
    result = text + line * count + tail
    assert len(result.encode("utf-8")) == size
    return result


# --- the corpus --------------------------------------------------------------------------


def test_minimal_definition_is_valid() -> None:
    """Each corpus file is this with one change, so this itself must load."""
    model = load_text(minimal(), "minimal.yaml")
    assert model.initial_state == "planning"
    assert model.final_states == {"closed"}


def test_every_corpus_file_has_an_expectation() -> None:
    on_disk = {p.name for p in CORPUS.iterdir()}
    assert on_disk == set(EXPECTED), (
        f"untested: {sorted(on_disk - set(EXPECTED))}, missing: {sorted(set(EXPECTED) - on_disk)}"
    )


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()), ids=sorted(EXPECTED))
def test_broken_definition_is_refused_with_its_place(
    name: str, expected: tuple[str, str, int | None]
) -> None:
    path_in_file, fragment, line = expected
    problem = only_problem(CORPUS / name)
    assert problem.file == name
    assert fragment in problem.message
    assert problem.path == path_in_file
    assert problem.line == line


def test_expected_messages_are_distinct() -> None:
    fragments = [fragment for _, fragment, _ in EXPECTED.values()]
    assert len(set(fragments)) == len(fragments)


def test_every_corpus_file_produces_a_different_message() -> None:
    messages = [only_problem(CORPUS / name).message for name in sorted(EXPECTED)]
    repeated = {m for m in messages if messages.count(m) > 1}
    assert not repeated


def test_corpus_audit_types_match_their_file_names() -> None:
    """So no corpus file fails only because its audit_type differs from its name."""
    for name in EXPECTED:
        if name in {"audit_type_not_matching_file_name.yaml", "not_a_mapping.yaml"}:
            continue
        text = (CORPUS / name).read_text(encoding="utf-8")
        assert f"\naudit_type: {Path(name).stem}\n" in text, name


# --- size and encoding -------------------------------------------------------------------


def test_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "too_big.yaml"
    path.write_text(padded(minimal("too_big"), MAX_BYTES + 1), encoding="utf-8")
    problem = only_problem(path)
    assert problem == Problem(
        "too_big.yaml", "", f"is {MAX_BYTES + 1:,} bytes, over the {MAX_BYTES:,}-byte limit"
    )


def test_file_exactly_at_the_size_limit_loads(tmp_path: Path) -> None:
    path = tmp_path / "at_the_limit.yaml"
    path.write_text(padded(minimal("at_the_limit"), MAX_BYTES), encoding="utf-8")
    assert load_definition(path).audit_type == "at_the_limit"


def test_text_over_the_size_limit_is_refused() -> None:
    text = padded(minimal("too_big"), MAX_BYTES + 1)
    with pytest.raises(DefinitionError, match="over the 1,000,000-byte limit"):
        load_text(text, "too_big.yaml")


def test_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(minimal("latin").replace("Minimal", "Minimal \xe9").encode("latin-1"))
    assert only_problem(path) == Problem("latin.yaml", "", "is not UTF-8 text")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    problem = only_problem(tmp_path / "absent.yaml")
    assert problem.file == "absent.yaml"
    assert problem.message.startswith("cannot be read")


# --- the shipped definitions -------------------------------------------------------------


def test_every_shipped_definition_loads() -> None:
    stems = {p.stem for p in AUDIT_TYPES.iterdir() if p.suffix in {".yaml", ".yml"}}
    assert stems, "no definitions found"
    loaded = load_directory(AUDIT_TYPES)
    assert set(loaded) == stems
    assert all(isinstance(m, AuditTypeDefinition) for m in loaded.values())


def test_load_directory_reports_the_problems_of_every_file(tmp_path: Path) -> None:
    (tmp_path / "fine.yaml").write_text(minimal("fine"), encoding="utf-8")
    for name in ("unknown_gate.yaml", "unknown_dest_state.yaml"):
        (tmp_path / name).write_bytes((CORPUS / name).read_bytes())
    (tmp_path / "notes.txt").write_text("not a definition", encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_directory(tmp_path)
    assert [p.file for p in info.value.problems] == ["unknown_dest_state.yaml", "unknown_gate.yaml"]
    assert str(info.value).endswith("(and 1 more problem); fix the file and validate it again.")


def test_load_directory_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="is not a folder of definitions"):
        load_directory(tmp_path / "nowhere")


# --- the message -------------------------------------------------------------------------


def test_message_names_the_file_line_and_place_on_one_line() -> None:
    with pytest.raises(DefinitionError) as info:
        load_definition(CORPUS / "unknown_dest_state.yaml")
    message = str(info.value)
    assert message == (
        "unknown_dest_state.yaml, line 20 at transitions[0].dest: destination state 'finished' "
        "is not declared; fix the file and validate it again."
    )
    assert "\n" not in message


def test_message_counts_the_other_problems() -> None:
    text = (
        minimal("several")
        .replace("dest: closed", "dest: finished")
        .replace("roles: [coordinator]\n", "roles: [auditor]\n    gates: [no_such_gate]\n")
    )
    with pytest.raises(DefinitionError) as info:
        load_text(text, "several.yaml")
    assert len(info.value.problems) == 3
    assert "(and 2 more problems)" in str(info.value)


def test_message_is_one_sentence() -> None:
    with pytest.raises(DefinitionError) as info:
        load_definition(CORPUS / "unknown_dest_state.yaml")
    message = str(info.value)
    assert message.startswith("unknown_dest_state.yaml, line 20")
    assert message.endswith(".")
    assert re.findall(r"[.!?](?:\s|$)", message) == ["."]


def test_validator_messages_are_reworded_for_yaml_editors() -> None:
    problem = only_problem(CORPUS / "deadline_with_both_measures.yaml")
    assert problem.message == "give exactly one of working_days or calendar_days"


def test_badly_named_source_state_reports_the_naming_rule() -> None:
    text = minimal("bad_source").replace("source: planning", "source: Planning")
    with pytest.raises(DefinitionError) as info:
        load_text(text, "bad_source.yaml")
    [problem] = info.value.problems
    assert problem.path == "transitions[0].source"
    assert problem.line == 18
    assert "names use lower-case letters" in problem.message


def test_line_of_a_key_that_overrides_a_merge() -> None:
    text = minimal("merged") + ("  - <<: *close\n    trigger: finish\n    dest: nowhere\n")
    text = text.replace("  - trigger: close\n", "  - &close\n    trigger: close\n")
    with pytest.raises(DefinitionError) as info:
        load_text(text, "merged.yaml")
    [problem] = info.value.problems
    assert problem.message == "destination state 'nowhere' is not declared"
    assert problem.path == "transitions[1].dest"
    assert problem.line == 24  # where `dest: nowhere` is written


# --- YAML 1.2 and the safe reader --------------------------------------------------------


def test_yes_no_on_off_stay_strings() -> None:
    data = parse_yaml("words: [on, off, yes, no, On, OFF, Yes, NO, true, false]\n", "w.yaml").data
    assert data == {"words": ["on", "off", "yes", "no", "On", "OFF", "Yes", "NO", True, False]}


def test_states_and_triggers_called_on_off_yes_no_load_as_names() -> None:
    text = """\
schema_version: 1
audit_type: switches
title: yes
description: no
framework_reference: on
tool: off
roles: [coordinator]
states:
  - {name: on, title: On, initial: true}
  - {name: off, title: Off}
  - {name: yes, title: Yes}
  - {name: no, title: No, final: true}
transitions:
  - {trigger: off, title: Off, source: on, dest: off, roles: [coordinator]}
  - {trigger: yes, title: Yes, source: off, dest: yes, roles: [coordinator]}
  - {trigger: no, title: No, source: yes, dest: no, roles: [coordinator]}
"""
    model = load_text(text, "switches.yaml")
    assert [s.name for s in model.states] == ["on", "off", "yes", "no"]
    assert [t.trigger for t in model.transitions] == ["off", "yes", "no"]
    assert [t.source for t in model.transitions] == ["on", "off", "yes"]
    assert (model.title, model.description, model.tool) == ("yes", "no", "off")
    assert model.initial_state == "on"
    assert model.final_states == {"no"}


def test_schema_version_must_be_the_number_one() -> None:
    text = minimal("boolean_version").replace("schema_version: 1", "schema_version: true")
    with pytest.raises(DefinitionError, match="schema_version"):
        load_text(text, "boolean_version.yaml")


def test_a_few_aliases_are_allowed() -> None:
    declared = "roles: [coordinator, chair]"
    text = minimal("aliased").replace(declared, "roles: &all [coordinator, chair]")
    text = text.replace("    roles: [coordinator]", "    roles: *all")
    model = load_text(text, "aliased.yaml")
    assert model.transitions[0].roles == ["coordinator", "chair"]


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(DefinitionError) as info:
        parse_yaml("loop: &loop [*loop]\n", "loop.yaml")
    assert "YAML nodes" in info.value.problems[0].message


def test_duplicate_key_is_refused_even_when_quoted_differently() -> None:
    with pytest.raises(DefinitionError) as info:
        parse_yaml("a: 1\nb: 2\n'a': 3\n", "dup.yaml")
    assert info.value.problems == (
        Problem("dup.yaml", "", "repeats the key 'a' in one mapping", 3),
    )


# --- versions and the committed schema ---------------------------------------------------


def test_content_hash_ignores_comments_whitespace_and_key_order() -> None:
    original = (AUDIT_TYPES / "mace.yaml").read_text(encoding="utf-8")
    relaid = "# A comment at the top.\n\n" + original
    relaid = relaid.replace("\nstates:\n", "\n\n# The states, in order.\nstates:   \n")
    relaid = relaid.replace("  quorum: 2\n", "  quorum:    2   # two approvals\n")
    relaid = relaid.replace("case_window_months: 12\n", "")
    relaid = relaid.replace("\nstates:", "\ncase_window_months: 12\nstates:", 1)
    assert relaid != original
    assert (
        load_text(relaid, "mace.yaml").content_hash()
        == load_text(original, "mace.yaml").content_hash()
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("  quorum: 2\n", "  quorum: 3\n"),
        ("title: Thematic multi-agency case file audit (MACE)\n", "title: Thematic audit\n"),
        ("    title: Moderation\n", "    title: Moderation meeting\n"),
        ("    gates: [cases_within_window]\n", "    gates: []\n"),
        ("    stage: monitoring_impact\n", "    stage: agreeing_actions\n"),
    ],
)
def test_content_hash_changes_with_a_real_edit(before: str, after: str) -> None:
    original = (AUDIT_TYPES / "mace.yaml").read_text(encoding="utf-8")
    assert original.count(before) == 1
    edited = original.replace(before, after)
    assert (
        load_text(edited, "mace.yaml").content_hash()
        != load_text(original, "mace.yaml").content_hash()
    )


def test_committed_json_schema_is_up_to_date() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    generated = definition_json_schema()
    assert json.loads(committed) == json.loads(generated)
    assert committed == generated, (
        "regenerate it with states.definitions.model.definition_json_schema()"
    )
