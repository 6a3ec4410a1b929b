"""The audit programme file: every row of the framework's plan table and every theme of its
theme list, and every broken rule refused with its place in the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from states.definitions.bodies import BodyKind
from states.definitions.programme import (
    ProgrammeDefinition,
    ProgrammeEntryDef,
    load_programme_file,
    load_programme_text,
)
from states.errors import DefinitionError

ROOT = Path(__file__).resolve().parents[3]
PROGRAMME = ROOT / "definitions" / "programme" / "oscp-2025-28.yaml"
AUDIT_TYPES = {p.stem for p in (ROOT / "definitions" / "audit_types").glob("*.yaml")}
# The user's own framework, beside the project (see DESIGN.md); not part of the repository.
# The plan table and the theme list after it exactly as the framework (Audit Framework
# 2025-2028) prints them, tabs and all.
FRAMEWORK = Path(__file__).with_name("fixtures") / "framework-plan-table.txt"
# Rows in the framework's "Audit plan 25 -28" table, header not counted: the programme's first
# entries, in the table's order. Themes of the theme list without a row come after them.
PLAN_ROWS = 12
THEMES_WITHOUT_ROWS = 1
# Then the recurring work sections 3 and 7 describe without a row: the programme review and
# the annual training-impact audit.
SECTIONS_WITHOUT_ROWS = 2


@pytest.fixture(scope="module")
def plan() -> ProgrammeDefinition:
    return load_programme_file(PROGRAMME, known_types=AUDIT_TYPES)


def entry(plan: ProgrammeDefinition, key: str) -> ProgrammeEntryDef:
    return next(e for e in plan.entries if e.key == key)


def test_every_row_of_the_plan_table_is_an_entry(plan: ProgrammeDefinition) -> None:
    assert len(plan.entries) == PLAN_ROWS + THEMES_WITHOUT_ROWS + SECTIONS_WITHOUT_ROWS
    assert len({e.key for e in plan.entries}) == len(plan.entries)
    assert plan.programme == "OSCP audit programme 2025-28"
    assert (str(plan.period.starts), str(plan.period.ends)) == ("2025-04-01", "2028-03-31")


def test_rows_keep_the_framework_s_words(plan: ProgrammeDefinition) -> None:
    first = entry(plan, "syv-benchmarking")
    assert (first.timeframe, first.audit_type, first.report_author, first.sign_off) == (
        "October 24",
        "benchmarking",
        "OSCP",
        "Dec 24",
    )
    assert first.due is not None and (first.due.year, first.due.month) == (2024, 10)
    assert first.evidence[0] == "Measuring against Manchester SYV JTAI"

    camhs = entry(plan, "camhs-deep-dive")
    assert camhs.sign_off == (
        "Taken to partnership Sept 25 \u2013 not signed off- request for further assurance"
    )
    assert camhs.impact_monitoring == ""

    neglect = entry(plan, "neglect-gcp2-training-impact")
    assert neglect.audit_type == "training_impact"
    assert neglect.sign_off.startswith("Decision to look at an Oldham tool")

    front_door = entry(plan, "front-door-ethnicity-deep-dive")
    assert front_door.rationale == ""
    assert front_door.evidence[1] == (
        "deep dives on what assessments are concluded with no further SW action."
    )


def test_due_is_read_from_the_timeframe(plan: ProgrammeDefinition) -> None:
    dues = {e.key: e.due for e in plan.entries}
    assert dues["operation-encompass-schools"] is None and dues["domestic-abuse-mace"] is None
    quarterly = dues["effectiveness-report"]
    assert quarterly is not None
    assert (quarterly.year, quarterly.month, quarterly.recurring) == (2025, 8, "quarterly")
    # A range is due in its last month.
    for key, month in (("sexual-abuse-mace", (2025, 12)), ("emotional-health-scrutiny", (2026, 3))):
        due = dues[key]
        assert due is not None and (due.year, due.month) == month


def test_the_calendar_starts_the_recurring_work(plan: ProgrammeDefinition) -> None:
    started = {
        e.key: (e.due and (e.due.year, e.due.month, e.due.recurring), e.audit_type)
        for e in plan.entries
        if e.calendar is not None
    }
    assert started == {
        # "Quarterly (first submission date August 25)"
        "effectiveness-report": ((2025, 8, "quarterly"), "effectiveness_report"),
        # Section 7's annual audit and section 3's annual review: months of our own choosing.
        "training-impact-annual": ((2026, 6, "annual"), "training_impact"),
        "programme-review": ((2026, 6, "annual"), "programme_review"),
    }
    for key in ("training-impact-annual", "programme-review"):
        assert "the partnership's own choice" in entry(plan, key).timeframe


def test_evidence_is_plain_list_items(plan: ProgrammeDefinition) -> None:
    for i, e in enumerate(plan.entries):
        # Every row of the table names its evidence; the theme list names none.
        assert e.evidence or i >= PLAN_ROWS, e.key
        for item in e.evidence:
            assert not re.search(r"[<>•]|^\d\. ", item), (e.key, item)


def test_entries_match_the_framework_table_cell_for_cell(plan: ProgrammeDefinition) -> None:
    text = FRAMEWORK.read_text(encoding="utf-8")
    table = text.split("Audit plan 25 -28", 1)[1].split("The themes are", 1)[0]
    rows = [line.split("\t") for line in table.splitlines() if "\t" in line][1:]
    assert len(rows) == PLAN_ROWS
    for e, row in zip(plan.entries[:PLAN_ROWS], rows, strict=True):
        cells = [c.strip() for c in row]
        ours = [e.timeframe, e.theme, e.rationale, e.report_author, e.sign_off]
        assert ours == [cells[0], cells[1], cells[2], cells[4], cells[5]]
        assert e.impact_monitoring == cells[6]
        # Same words in the same order; only the HTML list markup is gone.
        plain = re.sub(r"<[^>]+>|•", " ", cells[3])
        words = re.sub(r"(?<!\S)\d\.(?=\s)", " ", plain).split()
        assert " ".join(" ".join(e.evidence).split()) == " ".join(words)


def framework_themes() -> list[str]:
    """The themes the framework lists after its plan table, each without what follows its
    first full stop (a note on when it goes where) and without the audit type it names after
    a dash ("Domestic Abuse \u2013 JTAI MACE.")."""
    text = FRAMEWORK.read_text(encoding="utf-8")
    listed = text.split("The themes are: (so far)", 1)[1]
    lines = [line.strip() for line in listed.splitlines() if line.strip()]
    return [line.split(".", 1)[0].split(" \u2013 ", 1)[0] for line in lines]


def test_every_theme_the_framework_lists_is_in_the_programme(plan: ProgrammeDefinition) -> None:
    themes = framework_themes()
    assert len(themes) == 5 and themes[-1].startswith("Attendance in schools")
    ours = [" ".join(e.theme.casefold().split()) for e in plan.entries]
    missing = [t for t in themes if not any(t.casefold() in theme for theme in ours)]
    assert missing == []
    # "... to be taken to learning hub November 25": due in that month.
    attendance = entry(plan, "school-attendance-csc")
    assert attendance.theme == "Attendance in schools - children involved with CSC"
    assert attendance.due is not None and (attendance.due.year, attendance.due.month) == (2025, 11)


MINIMAL = """\
schema_version: 1
programme: Test programme
period: {from: 2025-04-01, to: 2028-03-31}
entries:
  - key: first-audit
    timeframe: March 26
    due: {year: 2026, month: 3}
    theme: Domestic abuse
    audit_type: mace
    rationale: Why
    evidence: [JTAI guidance]
    report_author: OSCP
    sign_off: ""
    impact_monitoring: ""
  - key: second-audit
    timeframe: TBC
    due: null
    theme: Neglect
    audit_type: training_impact
    rationale: Why
    evidence: []
    report_author: OSCP
    sign_off: ""
    impact_monitoring: ""
"""


def test_the_minimal_programme_loads() -> None:
    loaded = load_programme_text(MINIMAL, "minimal.yaml", known_types=AUDIT_TYPES)
    assert [e.key for e in loaded.entries] == ["first-audit", "second-audit"]


# name -> (text replaced, replacement, path, fragment of the message, line)
BROKEN = {
    "duplicate key": (
        "key: second-audit",
        "key: first-audit",
        "entries[1].key",
        "key 'first-audit' is used twice",
        15,
    ),
    "unknown audit type": (
        "audit_type: mace",
        "audit_type: mac",
        "entries[0].audit_type",
        "there is no audit type called 'mac'; use one of: benchmarking",
        9,
    ),
    "bad month": (
        "month: 3}",
        "month: 13}",
        "entries[0].due.month",
        "month 13 is not a month; write 1 (January) to 12 (December)",
        7,
    ),
    "unknown field": (
        "    rationale: Why\n    evidence: []",
        "    rationale: Why\n    owner: OSCP\n    evidence: []",
        "entries[1].owner",
        "unknown key 'owner'; remove it or check its spelling",
        21,
    ),
    "key not a slug": (
        "key: second-audit",
        "key: Second_Audit",
        "entries[1].key",
        "keys use lower-case letters and digits joined by hyphens",
        15,
    ),
    "month without year": (
        "due: {year: 2026, month: 3}",
        "due: {month: 3}",
        "entries[0].due",
        "a due month needs its year",
        7,
    ),
    "short year": (
        "year: 2026",
        "year: 26",
        "entries[0].due.year",
        "year 26 is not a year; write it in full",
        7,
    ),
    "missing column": (
        '    sign_off: ""\n    impact_monitoring: ""\n  - key',
        '    impact_monitoring: ""\n  - key',
        "entries[0].sign_off",
        "required key 'sign_off' is missing",
        5,
    ),
    "period backwards": (
        "from: 2025-04-01",
        "from: 2029-04-01",
        "period",
        "the period's 'from' date must be before its 'to' date",
        3,
    ),
    "calendar on work done once": (
        "    due: {year: 2026, month: 3}\n",
        "    due: {year: 2026, month: 3}\n    calendar: {starts_months_before_due: 1}\n",
        "entries[0]",
        "only recurring work is started by the calendar",
        5,
    ),
    "calendar starting a time round before the last is due": (
        "    due: {year: 2026, month: 3}\n",
        "    due: {year: 2026, month: 3, recurring: quarterly}\n"
        "    calendar: {starts_months_before_due: 3}\n",
        "entries[0]",
        "quarterly work must start less than 3 months before it is due",
        5,
    ),
    "report_to an unknown body": (
        '    sign_off: ""\n    impact_monitoring: ""\n  - key',
        '    sign_off: ""\n    impact_monitoring: ""\n    report_to: [{kind: board, quorum: 1}]\n'
        "  - key",
        "entries[0].report_to[0].kind",
        "'board' is not one of the values allowed here",
        15,
    ),
    "report_to a quorum never reached": (
        '    sign_off: ""\n    impact_monitoring: ""\n  - key',
        '    sign_off: ""\n    impact_monitoring: ""\n'
        "    report_to: [{kind: statutory_partners, quorum: 4}]\n  - key",
        "entries[0].report_to[0].quorum",
        "a quorum of 4 can never be reached: statutory_partners has at most 3 members",
        15,
    ),
    "report_to a body twice": (
        '    sign_off: ""\n    impact_monitoring: ""\n  - key',
        '    sign_off: ""\n    impact_monitoring: ""\n'
        "    report_to: [{kind: subgroup, quorum: 1}, {kind: subgroup, quorum: 2}]\n  - key",
        "entries[0]",
        "subgroup is named twice; give each body one quorum",
        5,
    ),
    "repeated YAML key": (
        "    theme: Neglect\n",
        "    theme: Neglect\n    theme: Neglect again\n",
        "",
        "repeats the key 'theme' in one mapping",
        19,
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_programme_is_refused_with_its_place(name: str) -> None:
    old, new, path, fragment, line = BROKEN[name]
    assert MINIMAL.count(old) == 1, "the case must change exactly one place"
    with pytest.raises(DefinitionError) as caught:
        load_programme_text(MINIMAL.replace(old, new), "programme.yaml", known_types=AUDIT_TYPES)
    [problem] = caught.value.problems
    assert (problem.file, problem.path, problem.line) == ("programme.yaml", path, line)
    assert fragment in problem.message
    assert str(caught.value).startswith(f"programme.yaml, line {line}")


def test_the_plan_sends_two_deep_dives_to_the_performance_group(
    plan: ProgrammeDefinition,
) -> None:
    """ "Report to Performance group": the FGM and front-door deep dives report to it; every
    other entry to its type's bodies."""
    sent = {e.key: e.report_to for e in plan.entries if e.report_to is not None}
    assert set(sent) == {"fgm-deep-dive", "front-door-ethnicity-deep-dive"}
    for bodies in sent.values():
        assert [(b.kind, b.quorum) for b in bodies] == [(BodyKind.PERFORMANCE_GROUP, 1)]


def test_an_unreadable_file_names_itself(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"missing\.yaml: cannot be read"):
        load_programme_file(tmp_path / "missing.yaml", known_types=AUDIT_TYPES)
