"""A return exported to Excel, filled in as a person would, and imported back: on SQLite and
PostgreSQL through the services, and from the command line."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from oscp_flow import excel
from oscp_flow.excel import reader as excel_reader
from oscp_flow.rehearsal.walkthrough import complete_answers, rehearse
from states.clock import FakeClock
from states.definitions.tool import ToolDefinition
from states.errors import NotFound
from states.rules.answers import in_phase, normalise
from states.rules.catalogue import Catalogue
from states.services import queries, returns
from states.services.deps import Deps
from tests.conftest import DEFINITIONS
from tests.support.cli import oscp
from tests.support.partnership import agency_name, email
from tests.support.terms import terms_options
from tests.support.workbooks import blank_return, cases_for, read_back
from tests.support.workbooks import book_of as _book
from tests.support.workbooks import bytes_of as _bytes
from tests.support.workbooks import cell_of as _cell_of
from tests.support.workbooks import question_sheets as _sheets

LEAD = email("lead.police")
FILLED: dict[str, str | int | date] = {
    "yes_no_partly": "Partly",
    "number": 85,
    "date": date(2026, 2, 2),
    "free_text": "Board minutes, March 2026",
    "evidence_reference": "Safeguarding policy v4, section 2",
}
CANONICAL = {"yes_no_partly": "partly", "number": "85", "date": "2026-02-02"}


def _open_returns(deps: Deps, clock: FakeClock, audit_type: str = "section_11") -> str:
    return rehearse(deps, audit_type, goal="returns_open", theme="Returns by spreadsheet").reference


@pytest.fixture
def audit(partnership: Deps, clock: FakeClock) -> str:
    """A Section 11 audit with self-assessments open; police, csc and health take part."""
    return _open_returns(partnership, clock)


def _tool(catalogue: Catalogue) -> ToolDefinition:
    tool = catalogue.tool("section_11")
    assert tool is not None
    return tool


def _fill(book: Workbook, tool: ToolDefinition) -> dict[str, str]:
    """Answer every required question as a person would (ratings by label); the canonical
    answers expected back."""
    expected = {}
    for _, q in tool.questions():
        if q.required:
            sheet, row = _cell_of(book, q.id)
            if q.type == "choice":
                option = (q.options or [])[-1]
                sheet[f"C{row}"], expected[q.id] = option.label, option.value
            elif q.type == "rating":
                grade = tool.scales[q.scale or ""].grades[1]
                sheet[f"C{row}"], expected[q.id] = grade.label, grade.value
            else:
                sheet[f"C{row}"] = FILLED[q.type]
                expected[q.id] = CANONICAL.get(q.type, str(FILLED[q.type]))
    return expected


def _plant(
    book: Workbook, question: str, column: str, value: str | int | date, below: int = 0
) -> tuple[str, int, str]:
    sheet, row = _cell_of(book, question)
    sheet[f"{column}{row + below}"] = value
    return sheet.title, row + below, column


def test_a_return_round_trips_through_excel(partnership: Deps, audit: str) -> None:
    deps = partnership
    tool = _tool(deps.catalogue)
    book = _book(excel.export(deps, audit=audit, actor=LEAD, agency="police"))
    about = " ".join(str(c.value) for c in book[excel.ABOUT]["B"] if c.value)
    assert audit in about and agency_name("police") in about
    expected = _fill(book, tool)

    (view,) = excel.import_(
        deps, audit=audit, actor=LEAD, agency="police", data=_bytes(book), submit=True
    )

    assert view.status == "submitted"
    stored = returns.read(deps, audit=audit, actor=LEAD, agency="police")
    assert stored.answers == expected
    again = _book(excel.export(deps, audit=audit, actor=LEAD, agency="police"))
    sheet, row = _cell_of(again, "leadership_rating")
    assert sheet[f"C{row}"].value == "Amber - in place, partly evidenced"
    sheet, row = _cell_of(again, "completed_on")
    assert sheet[f"C{row}"].value == datetime(2026, 2, 2)
    expecting = excel.Expected(audit, "police")
    (answers,) = excel.read_return(tool, None, _bytes(again), expected=expecting).values()
    assert {q: a for q, a in answers.items() if a is not None} == expected


def test_a_case_return_is_exported_and_imported_per_case(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    audit = _open_returns(deps, clock, "mace")
    case = f"{audit}-C01"
    book = _book(excel.export(deps, audit=audit, actor=LEAD, agency="police", case=case))
    assert case in str(book[excel.ABOUT]["B4"].value)
    assert all(sheet.title.startswith(f"{case} ") for sheet in _sheets(book))
    tool = deps.catalogue.tool("mace")
    assert tool is not None
    expected = _fill(book, tool)

    (view,) = excel.import_(
        deps,
        audit=audit,
        actor=LEAD,
        agency="police",
        case=case,
        data=_bytes(book),
        submit=True,
    )

    assert (view.status, view.case, view.answers) == ("submitted", case, expected)


def _phases(tool: ToolDefinition) -> list[str | None]:
    return [None, *dict.fromkeys(s.phase for s in tool.sections if s.phase)]


@pytest.mark.parametrize("audit_type", sorted(p.stem for p in DEFINITIONS.glob("*.yaml")))
def test_every_tool_and_phase_round_trips(catalogue: Catalogue, audit_type: str) -> None:
    tool = catalogue.tool(audit_type)
    assert tool is not None
    for phase in _phases(tool):
        for variant in range(3):
            answers, problems = normalise(tool, complete_answers(tool, variant, phase), phase)
            assert problems == []
            data = blank_return(tool, phase, answers)
            read = read_back(tool, phase, data, complete=True)
            assert read == {case: answers for case in cases_for(tool) or (None,)}
            asked = {q.id for title, s in excel.layout(tool, phase) for q in s.questions}
            assert asked == set(in_phase(tool, phase))


def test_the_workbook_guides_the_person_filling_it(catalogue: Catalogue) -> None:
    tool = _tool(catalogue)
    book = _book(blank_return(tool))
    assert book.sheetnames[0] == excel.ABOUT
    assert book[excel.LISTS].sheet_state == "hidden"
    sheet, row = _cell_of(book, "leadership_rating")
    assert [c.value for c in sheet[1]] == list(excel.HEADER)
    assert sheet.protection.sheet and sheet[f"A{row}"].protection.locked
    assert not sheet[f"C{row}"].protection.locked
    assert sheet[f"D{row}"].value == "required"
    help_text = str(sheet[f"E{row}"].value)
    assert "Red - not met: Does not reach Amber" in help_text
    drop_down = next(v for v in sheet.data_validations.dataValidation if f"C{row}" in v.sqref)
    lists = book[excel.LISTS]
    allowed = [c.value for c in lists[drop_down.formula1.split("$")[1]]]
    assert allowed == [g.label for g in tool.scales["rag"].grades]


def test_every_problem_in_a_file_is_reported_and_nothing_is_stored(
    partnership: Deps, audit: str
) -> None:
    deps = partnership
    returns.save_draft(
        deps, audit=audit, actor=LEAD, agency="police", answers={"leadership_rating": "green"}
    )
    before = returns.read(deps, audit=audit, actor=LEAD, agency="police")
    version = queries.audit_status(deps, audit=audit, as_person=LEAD).version
    book = _book(excel.export(deps, audit=audit, actor=LEAD, agency="police"))
    _fill(book, _tool(deps.catalogue))
    planted = [
        _plant(book, "leadership_rating", "C", "Purple"),
        _plant(book, "staff_trained_percent", "C", "about half"),
        _plant(book, "supervision_rating", "A", "supervision_score"),
        _plant(book, "completed_on", "C", "31/02/2026"),
        _plant(book, "information_sharing_improvement", "C", "A note", below=1),
    ]

    with pytest.raises(excel.SpreadsheetRejected) as rejected:
        excel.import_(deps, audit=audit, actor=LEAD, agency="police", data=_bytes(book))

    problems = rejected.value.problems
    assert [(p.sheet, p.row, p.column) for p in problems] == sorted(
        planted, key=lambda p: [s.title for s in book.worksheets].index(p[0])
    )
    messages = " | ".join(str(p) for p in problems)
    for part in (
        "'Purple' is not on the scale",
        "the answer must be a number",
        "'supervision_score' is not a question in this return",
        "must be a date written as YYYY-MM-DD",
        "this row is not a question",
    ):
        assert part in messages
    assert str(problems[0]).startswith("Sheet 'Senior management commitment', cell C2: ")
    assert "because of 5 problems" in str(rejected.value)
    assert returns.read(deps, audit=audit, actor=LEAD, agency="police") == before
    assert queries.audit_status(deps, audit=audit, as_person=LEAD).version == version


def test_moved_copied_and_missing_rows_are_located(catalogue: Catalogue) -> None:
    tool = _tool(catalogue)
    book = _book(blank_return(tool))
    first, _ = _cell_of(book, "leadership_rating")
    first["A2"], first["A3"] = "leadership_evidence", "leadership_rating"  # swapped
    training, _ = _cell_of(book, "training_rating")
    training["A3"] = "training_rating"  # copied over staff_trained_percent
    del book["Summary"]

    with pytest.raises(excel.SpreadsheetRejected) as rejected:
        read_back(tool, None, _bytes(book))

    found = {(p.sheet, p.row, p.column): p.message for p in rejected.value.problems}
    assert "was moved here from sheet" in found[(first.title, 2, "A")]
    assert "was moved here" in found[(first.title, 3, "A")]
    assert "appears twice" in found[(training.title, 3, "A")]
    assert "missing" in found[("Summary", None, None)]
    assert len(found) == 4


def test_submitting_requires_every_required_answer_by_cell(catalogue: Catalogue) -> None:
    tool = _tool(catalogue)
    blank = blank_return(tool)
    assert set(read_back(tool, None, blank)[None].values()) == {None}
    with pytest.raises(excel.SpreadsheetRejected) as rejected:
        read_back(tool, None, blank, complete=True)
    required = [q for _, q in tool.questions() if q.required]
    assert len(rejected.value.problems) == len(required)
    assert all(p.column == "C" and "needs an answer" in p.message for p in rejected.value.problems)


def test_an_agency_lead_cannot_touch_another_agencys_return(partnership: Deps, audit: str) -> None:
    deps = partnership
    data = excel.export(deps, audit=audit, actor=LEAD, agency="police")
    for other in ("lead.csc", "lead.schools"):
        with pytest.raises(NotFound):
            excel.export(deps, audit=audit, actor=email(other), agency="police")
        with pytest.raises(NotFound):
            excel.import_(deps, audit=audit, actor=email(other), agency="police", data=data)
    assert returns.read(deps, audit=audit, actor=LEAD, agency="police").status == "not started"


LOOKS_LIKE_FORMULAS = {
    "leadership_evidence": '=HYPERLINK("http://evil.example/","Click for the evidence")',
    "responsibilities_evidence": "+44 161 000 0000 (safeguarding desk)",
    "lines_of_accountability_evidence": "-see the structure chart",
    "children_views_evidence": "@SUM(1,2)",
}


def test_a_formula_looking_answer_stays_text(partnership: Deps, audit: str) -> None:
    deps = partnership
    returns.save_draft(deps, audit=audit, actor=LEAD, agency="police", answers=LOOKS_LIKE_FORMULAS)
    data = excel.export(deps, audit=audit, actor=LEAD, agency="police")

    book = _book(data)  # not data_only: a formula would show as one here
    for question, text in LOOKS_LIKE_FORMULAS.items():
        sheet, row = _cell_of(book, question)
        assert sheet[f"C{row}"].data_type == "s"
        assert sheet[f"C{row}"].value == text
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, name

    (view,) = excel.import_(deps, audit=audit, actor=LEAD, agency="police", data=data)
    assert {q: view.answers[q] for q in LOOKS_LIKE_FORMULAS} == LOOKS_LIKE_FORMULAS


def _zip_of(**files: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name.replace("__", "/"), content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"question,answer\nleadership_rating,Green\n", "not an Excel workbook (.xlsx)"),
        (b"PK\x03\x04 only the start of a zip", "not an Excel workbook (.xlsx)"),
        (_zip_of(word__document=b"<w/>"), "not an Excel workbook (.xlsx)"),
        (b"PK" + b"\0" * excel.MAX_BYTES, "larger than 5 MB"),
    ],
    ids=["csv", "broken-zip", "other-zip", "oversized"],
)
def test_a_file_that_is_not_a_return_is_refused_in_one_sentence(
    catalogue: Catalogue, data: bytes, says: str
) -> None:
    with pytest.raises(excel.SpreadsheetRejected) as rejected:
        read_back(_tool(catalogue), None, data)
    message = str(rejected.value)
    assert says in message
    assert "\n" not in message and message.endswith(".") and message.count(". ") == 0
    assert len(rejected.value.problems) == 1


def test_workbooks_past_the_limits_are_refused(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = _tool(catalogue)
    book = _book(blank_return(tool))
    for n in range(excel.MAX_SHEETS):
        book.create_sheet(f"Extra {n}")
    with pytest.raises(excel.SpreadsheetRejected, match=f"more than {excel.MAX_SHEETS} sheets"):
        read_back(tool, None, _bytes(book))

    book = _book(blank_return(tool))
    sheet, _ = _cell_of(book, "completed_on")
    sheet[f"B{excel.MAX_ROWS + 1}"] = "one row too many"
    with pytest.raises(excel.SpreadsheetRejected, match="more than 2,000 rows"):
        read_back(tool, None, _bytes(book))

    # The reader's limit, lowered so an ordinary file unpacks past it as a zip bomb would.
    monkeypatch.setattr(excel_reader, "MAX_UNPACKED", 10_000)
    with pytest.raises(excel.SpreadsheetRejected, match="unpacks to far more"):
        read_back(tool, None, blank_return(tool))


def test_a_refused_file_stores_nothing(partnership: Deps, audit: str) -> None:
    deps = partnership
    version = queries.audit_status(deps, audit=audit, as_person=LEAD).version
    with pytest.raises(excel.SpreadsheetRejected, match="larger than 5 MB"):
        excel.import_(
            deps, audit=audit, actor=LEAD, agency="police", data=b"x" * (excel.MAX_BYTES + 1)
        )
    assert returns.read(deps, audit=audit, actor=LEAD, agency="police").status == "not started"
    assert queries.audit_status(deps, audit=audit, as_person=LEAD).version == version


def test_sheet_titles_are_safe_and_unique(catalogue: Catalogue) -> None:
    section = {"questions": [{"id": "q", "text": "Q?", "type": "free_text"}]}
    awkward = ToolDefinition.model_validate(
        {
            "schema_version": 1,
            "tool": "awkward",
            "title": "Awkward",
            "description": "Titles Excel would refuse.",
            "completed_per": "agency",
            "sections": [
                {**section, "id": f"s{n}", "title": title}
                for n, title in enumerate(
                    [
                        "Risk: [high]/low? *urgent* \\ review",
                        "Risk: [high]/low? *urgent* \\ review",
                        "About",
                        "'Quoted'",
                        "A very long section title that goes on well past the limit",
                        "A very long section title that goes on and on again",
                    ]
                )
            ],
        }
    )
    tools = [awkward, *(t for a in catalogue.audit_types if (t := catalogue.tool(a)))]
    for tool in tools:
        titles = [title for title, _ in excel.layout(tool, None)]
        assert len({t.lower() for t in titles} | {"about", "lists"}) == len(titles) + 2
        for title in titles:
            assert 0 < len(title) <= 31 and not set(title) & set("[]:*?/\\")
            assert not title.startswith("'") and not title.endswith("'")
    assert excel.layout(awkward, None)[0][0] == "Risk high low urgent review"


@pytest.mark.slow
def test_a_return_from_the_command_line(tmp_path: Path, catalogue: Catalogue) -> None:
    assert oscp(tmp_path, "demo").exit_code == 0
    coordinator = "coordinator@example.org"
    started = oscp(
        tmp_path,
        "audit",
        "start",
        "section_11",
        "--theme",
        "Section 11",
        "--lead",
        "chair@example.org",
        "--agency",
        "police",
        actor=coordinator,
    )
    reference = started.stdout.split()[1]
    oscp(tmp_path, "audit", "terms", reference, *terms_options(), actor=coordinator)
    for trigger in ("agree_terms_of_reference", "issue_tool", "open_returns"):
        assert oscp(tmp_path, "audit", "fire", reference, trigger, actor=coordinator).exit_code == 0
    workbook = tmp_path / "police.xlsx"
    exported = oscp(
        tmp_path, "return", "export", reference, "police", "-o", str(workbook), actor=LEAD
    )
    assert exported.exit_code == 0, exported.stderr

    book = load_workbook(workbook)
    _fill(book, _tool(catalogue))
    wrong = _plant(book, "leadership_rating", "C", "Purple")
    book.save(workbook)
    refused = oscp(tmp_path, "return", "import", reference, "police", str(workbook), actor=LEAD)
    assert refused.exit_code == 1
    assert f"Sheet '{wrong[0]}', cell C2: 'Purple' is not on the scale" in refused.stderr

    _plant(book, "leadership_rating", "C", "Green - met and embedded")
    book.save(workbook)
    others = oscp(
        tmp_path,
        "return",
        "import",
        reference,
        "police",
        str(workbook),
        "--submit",
        actor="lead.csc@example.org",
    )
    assert others.exit_code == 1 and "No return" in others.stderr
    done = oscp(
        tmp_path, "return", "import", reference, "police", str(workbook), "--submit", actor=LEAD
    )
    assert done.exit_code == 0, done.stderr
    assert "return is submitted" in done.stdout
