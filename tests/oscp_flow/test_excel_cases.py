"""An agency's workbook of every case, and a workbook that is not the return being imported
(issue 15, item 7), on SQLite and PostgreSQL: one workbook per agency carries a set of sheets
per case and stores all its cases or none; a workbook for another case, audit or agency, or
one exported before workbooks said which return they are, stores nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner, Result

from oscp_flow import excel
from oscp_flow.cli import app
from oscp_flow.excel import service as excel_service
from states.definitions.tool import Question, ToolDefinition
from states.errors import InvalidInput, NotFound, ReturnLocked
from states.rules.answers import normalise
from states.rules.case_list import CaseCandidate
from states.rules.catalogue import Catalogue
from states.services import queries, returns, sampling
from states.services.deps import Deps
from tests.support.driver import Driver, complete_answers
from tests.support.partnership import email
from tests.support.workbooks import book_of, bytes_of, cell_of, question_sheets

COORDINATOR, POLICE, CSC = email("coordinator"), email("lead.police"), email("lead.csc")
FIVE = ("NG-001", "NG-002", "NG-003", "NG-004", "NG-005")
# NG-006 is known to children's social care only, so csc has six cases and police five.
CSC_CASES = (*FIVE, "NG-006")


class _Sampled(Driver):
    """A MACE whose sample is NG-001 to NG-006, as a coordinator would draw it from a list."""

    def sample_cases(self) -> None:
        known_to = {"NG-006": ("csc",)}
        offered = [
            CaseCandidate(
                reference=case,
                agencies=known_to.get(case, tuple(self.cast.returning)),
                first_intervention_on=self.started_on - timedelta(days=300),
                last_intervention_on=self.started_on - timedelta(days=30),
            )
            for case in CSC_CASES
        ]
        drawn = sampling.select_sample(
            self.deps, audit=self.reference, actor=COORDINATOR, candidates=offered, method="list"
        )
        self.cases.extend(drawn.chosen)


def _open_mace(deps: Deps) -> str:
    driver = _Sampled.start(deps, "mace", theme="Neglect")
    driver.advance("returns_open")
    return driver.reference


@pytest.fixture
def mace(partnership: Deps) -> str:
    return _open_mace(partnership)


def _tool(deps: Deps) -> ToolDefinition:
    tool = deps.catalogue.tool("mace")
    assert tool is not None
    return tool


def _typed(tool: ToolDefinition, q: Question, value: object) -> str | int | float | date:
    """A canonical answer as a person types or picks it in the workbook."""
    if q.type == "rating":
        return next(g.label for g in tool.scales[q.scale or ""].grades if g.value == value)
    if q.type == "choice":
        return next(o.label for o in q.options or [] if o.value == value)
    if q.type == "yes_no_partly":
        return str(value).capitalize()
    if q.type == "date":
        return date.fromisoformat(str(value))
    assert isinstance(value, str | int | float)
    return value


def _type_in(
    book: Workbook, tool: ToolDefinition, case: str, answers: Mapping[str, object]
) -> None:
    questions = {q.id: q for _, q in tool.questions()}
    for question, value in answers.items():
        sheet, row = cell_of(book, question, sheet_prefix=f"{case} ")
        sheet[f"C{row}"] = _typed(tool, questions[question], value)


def _fill(book: Workbook, tool: ToolDefinition, case: str, variant: int) -> dict[str, str]:
    """Answer every question of ``case``'s sheets (each case differently, its free text
    naming it); the canonical answers expected back."""
    # Not the immediate-risk question: any words there would escalate a concern at once.
    free = {q.id for _, q in tool.questions() if q.type == "free_text" and not q.immediate_risk}
    given = {
        q: f"Notes on {case}." if q in free else v
        for q, v in complete_answers(tool, variant).items()
    }
    _type_in(book, tool, case, given)
    clean, problems = normalise(tool, given, None)
    assert problems == []
    return clean


def _answers(
    deps: Deps, audit: str, actor: str, agency: str, cases: tuple[str, ...]
) -> dict[str, dict[str, str]]:
    return {
        case: returns.read(deps, audit=audit, actor=actor, agency=agency, case=case).answers
        for case in cases
    }


def _version(deps: Deps, audit: str) -> int:
    return queries.audit_status(deps, audit=audit, as_person=COORDINATOR).version


def _nothing_stored(
    deps: Deps, audit: str, actor: str, agency: str, cases: tuple[str, ...]
) -> bool:
    return all(not answers for answers in _answers(deps, audit, actor, agency, cases).values())


def test_one_workbook_carries_every_case_of_the_agency(partnership: Deps, mace: str) -> None:
    deps = partnership
    book = book_of(excel.export(deps, audit=mace, actor=POLICE, agency="police"))

    about = {row[0].value: row[1].value for row in book[excel.ABOUT].iter_rows(max_col=2)}
    assert about["Audit reference"] == mace
    assert about["Agency code"] == "police"
    assert str(about["Case references"]).splitlines() == list(FIVE)
    assert "5 cases" in str(about["Return"])
    sections = len(excel.layout(_tool(deps), None))
    titles = [sheet.title for sheet in question_sheets(book)]
    assert len(titles) == 5 * sections == len({t.lower() for t in titles})
    for n, case in enumerate(FIVE):
        mine = titles[n * sections : (n + 1) * sections]
        assert all(t.startswith(f"{case} ") and len(t) <= 31 for t in mine)
    assert titles[0] == "NG-001 1 The child's lived"

    narrowed = book_of(excel.export(deps, audit=mace, actor=POLICE, agency="police", case="NG-003"))
    about = {row[0].value: row[1].value for row in narrowed[excel.ABOUT].iter_rows(max_col=2)}
    assert about["Case references"] == "NG-003"
    assert {s.title.split()[0] for s in question_sheets(narrowed)} == {"NG-003"}


def test_a_five_case_workbook_round_trips(partnership: Deps, mace: str) -> None:
    deps = partnership
    tool = _tool(deps)
    book = book_of(excel.export(deps, audit=mace, actor=POLICE, agency="police"))
    expected = {case: _fill(book, tool, case, n) for n, case in enumerate(FIVE)}
    version = _version(deps, mace)

    drafts = excel.import_(deps, audit=mace, actor=POLICE, agency="police", data=bytes_of(book))

    assert [(v.case, v.status) for v in drafts] == [(case, "draft") for case in FIVE]
    assert _answers(deps, mace, POLICE, "police", FIVE) == expected
    assert _version(deps, mace) == version + 1  # one write for all five cases
    again = book_of(excel.export(deps, audit=mace, actor=POLICE, agency="police"))
    sheet, row = cell_of(again, "lived_experience_good_practice", sheet_prefix="NG-004 ")
    assert sheet[f"C{row}"].value == "Notes on NG-004."

    submitted = excel.import_(
        deps, audit=mace, actor=POLICE, agency="police", data=bytes_of(again), submit=True
    )
    assert {v.status for v in submitted} == {"submitted"}
    assert _answers(deps, mace, POLICE, "police", FIVE) == expected


def test_a_bad_cell_in_one_case_stores_nothing_for_any_case(partnership: Deps, mace: str) -> None:
    deps = partnership
    tool = _tool(deps)
    book = book_of(excel.export(deps, audit=mace, actor=POLICE, agency="police"))
    for n, case in enumerate(FIVE):
        _fill(book, tool, case, n)
    sheet, row = cell_of(book, "timeliness_rating", sheet_prefix="NG-004 ")
    sheet[f"C{row}"] = "Purple"
    version = _version(deps, mace)

    with pytest.raises(excel.SpreadsheetRejected) as rejected:
        excel.import_(deps, audit=mace, actor=POLICE, agency="police", data=bytes_of(book))

    [problem] = rejected.value.problems
    assert (problem.sheet, problem.row, problem.column) == (sheet.title, row, "C")
    assert str(problem).startswith(f"Sheet '{sheet.title}', cell C{row}: 'Purple'")
    assert sheet.title.startswith("NG-004 ")
    assert _nothing_stored(deps, mace, POLICE, "police", FIVE)
    assert _version(deps, mace) == version


def test_a_case_workbook_imported_as_another_case_stores_nothing(
    partnership: Deps, mace: str
) -> None:
    """The issue: a case NG-004 workbook imported with --case NG-006 saved its answers
    against NG-006."""
    deps = partnership
    tool = _tool(deps)
    book = book_of(excel.export(deps, audit=mace, actor=CSC, agency="csc", case="NG-004"))
    _fill(book, tool, "NG-004", 1)
    version = _version(deps, mace)

    with pytest.raises(excel.WorkbookMismatch) as refused:
        excel.import_(deps, audit=mace, actor=CSC, agency="csc", case="NG-006", data=bytes_of(book))

    assert str(refused.value) == (
        "The workbook holds the return for case NG-004, not case NG-006; import it without "
        "--case, or export case NG-006's return (--case NG-006) and fill that in."
    )
    assert _nothing_stored(deps, mace, CSC, "csc", CSC_CASES)
    assert _version(deps, mace) == version
    # Without --case the workbook says which case it is.
    (view,) = excel.import_(deps, audit=mace, actor=CSC, agency="csc", data=bytes_of(book))
    assert view.case == "NG-004" and len(view.answers) == len(complete_answers(tool))
    assert _answers(deps, mace, CSC, "csc", ("NG-006",)) == {"NG-006": {}}


def test_a_workbook_of_every_case_is_not_one_case(partnership: Deps, mace: str) -> None:
    deps = partnership
    data = excel.export(deps, audit=mace, actor=POLICE, agency="police")
    with pytest.raises(excel.WorkbookMismatch, match=r"cases NG-001, NG-002, .* not case NG-002"):
        excel.import_(deps, audit=mace, actor=POLICE, agency="police", case="NG-002", data=data)


def test_a_workbook_for_another_audit_stores_nothing(partnership: Deps, mace: str) -> None:
    deps = partnership
    other = _open_mace(deps)
    book = book_of(excel.export(deps, audit=other, actor=POLICE, agency="police"))
    for n, case in enumerate(FIVE):
        _fill(book, _tool(deps), case, n)
    version = _version(deps, mace)

    with pytest.raises(excel.WorkbookMismatch) as refused:
        excel.import_(deps, audit=mace, actor=POLICE, agency="police", data=bytes_of(book))

    assert str(refused.value) == (
        f"The workbook is a return for audit {other}, not {mace}; import it into audit "
        f"{other}, or export the return for {mace} and fill that in."
    )
    assert _nothing_stored(deps, mace, POLICE, "police", FIVE)
    assert _nothing_stored(deps, other, POLICE, "police", FIVE)
    assert _version(deps, mace) == version


def test_a_workbook_for_another_agency_stores_nothing(partnership: Deps, mace: str) -> None:
    deps = partnership
    book = book_of(excel.export(deps, audit=mace, actor=POLICE, agency="police"))
    for n, case in enumerate(FIVE):
        _fill(book, _tool(deps), case, n)
    data = bytes_of(book)
    version = _version(deps, mace)

    # The csc lead, importing as their own agency: the workbook says police.
    with pytest.raises(excel.WorkbookMismatch) as refused:
        excel.import_(deps, audit=mace, actor=CSC, agency="csc", data=data)
    assert str(refused.value).startswith(
        "The workbook is agency police's return, not csc's; only police's lead or the "
        "coordinator can import it"
    )
    # ... and as police, whose returns are not theirs: told there is no such return.
    with pytest.raises(NotFound):
        excel.import_(deps, audit=mace, actor=CSC, agency="police", data=data)
    # The coordinator may import any agency's, but only as the agency the workbook is for.
    with pytest.raises(excel.WorkbookMismatch, match="not csc's"):
        excel.import_(deps, audit=mace, actor=COORDINATOR, agency="csc", data=data)

    assert _nothing_stored(deps, mace, POLICE, "police", FIVE)
    assert _nothing_stored(deps, mace, CSC, "csc", CSC_CASES)
    assert _version(deps, mace) == version


def _unstamped(data: bytes) -> bytes:
    """The workbook as exported before workbooks said which return they are: no audit,
    agency or case rows on the About sheet."""
    book = book_of(data)
    about = book[excel.ABOUT]
    for row in range(about.max_row, 0, -1):
        if about[f"A{row}"].value in ("Audit reference", "Agency code", "Case references"):
            about.delete_rows(row)
    return bytes_of(book)


def test_a_workbook_from_before_the_stamp_is_refused(partnership: Deps, mace: str) -> None:
    deps = partnership
    book = book_of(excel.export(deps, audit=mace, actor=POLICE, agency="police", case="NG-004"))
    _fill(book, _tool(deps), "NG-004", 0)

    with pytest.raises(excel.SpreadsheetRejected) as rejected:
        excel.import_(
            deps,
            audit=mace,
            actor=POLICE,
            agency="police",
            case="NG-004",
            data=_unstamped(bytes_of(book)),
        )

    [problem] = rejected.value.problems
    assert problem.sheet is None
    assert "does not say which audit, agency and case it is for" in problem.message
    assert problem.message.endswith("export the return again and copy your answers into that file")
    assert _nothing_stored(deps, mace, POLICE, "police", FIVE)


def test_submitted_cases_are_kept_and_changing_one_stores_nothing(
    partnership: Deps, mace: str
) -> None:
    deps = partnership
    tool = _tool(deps)
    book = book_of(excel.export(deps, audit=mace, actor=POLICE, agency="police"))
    expected = {case: _fill(book, tool, case, n) for n, case in enumerate(FIVE)}
    returns.submit(
        deps, audit=mace, actor=POLICE, agency="police", case="NG-002", answers=expected["NG-002"]
    )
    returns.submit(
        deps, audit=mace, actor=POLICE, agency="police", case="NG-004", answers=expected["NG-001"]
    )
    version = _version(deps, mace)

    # NG-004 was submitted with other answers than the workbook's: the whole file is refused.
    with pytest.raises(ReturnLocked, match="The return for case NG-004 on audit"):
        excel.import_(deps, audit=mace, actor=POLICE, agency="police", data=bytes_of(book))
    assert _nothing_stored(deps, mace, POLICE, "police", ("NG-001", "NG-003", "NG-005"))
    assert _version(deps, mace) == version

    # With NG-004's sheets as it was submitted, the submitted cases are left as they are.
    _type_in(book, tool, "NG-004", expected["NG-001"])
    views = excel.import_(deps, audit=mace, actor=POLICE, agency="police", data=bytes_of(book))
    statuses = {v.case: v.status for v in views}
    assert statuses == {
        "NG-001": "draft",
        "NG-002": "submitted",
        "NG-003": "draft",
        "NG-004": "submitted",
        "NG-005": "draft",
    }
    assert _answers(deps, mace, POLICE, "police", FIVE) == {
        **expected,
        "NG-004": expected["NG-001"],
    }


def test_more_cases_than_a_workbook_holds_are_exported_a_case_at_a_time(
    partnership: Deps, mace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    deps = partnership
    sections = len(excel.layout(_tool(deps), None))
    monkeypatch.setattr(excel_service, "MAX_SHEETS", 2 + 3 * sections)
    with pytest.raises(InvalidInput) as refused:
        excel.export(deps, audit=mace, actor=POLICE, agency="police")
    assert str(refused.value) == (
        f"Agency police has 5 cases on audit {mace}, more than one workbook holds (3); "
        "export them one at a time with --case."
    )
    assert excel.export(deps, audit=mace, actor=POLICE, agency="police", case="NG-001")


def test_an_auditor_exports_the_cases_assigned_to_them(partnership: Deps, mace: str) -> None:
    deps = partnership
    # The driver assigns the first case to auditor two and the rest to auditor one.
    book = book_of(excel.export(deps, audit=mace, actor=email("auditor.two"), agency="police"))
    about = {row[0].value: row[1].value for row in book[excel.ABOUT].iter_rows(max_col=2)}
    assert about["Case references"] == "NG-001"
    with pytest.raises(NotFound):
        excel.export(deps, audit=mace, actor=email("lead.schools"), agency="police")


def test_long_case_references_are_named_by_their_place(catalogue: Catalogue) -> None:
    tool = catalogue.tool("mace")
    assert tool is not None
    long_one, twin = "A" * 30 + "-0000000001", "A" * 30 + "-0000000002"
    cases = (long_one, twin, "ng-007", "NG-007")
    sets = excel.sheet_sets(tool, None, cases)
    titles = [title for found in sets for title, _ in found.sheets]
    assert len({t.lower() for t in titles} | {"about", "lists"}) == len(titles) + 2
    assert all(0 < len(t) <= 31 for t in titles)
    assert sets[0].sheets[0][0].startswith("Case 1 1 ")
    assert sets[1].sheets[0][0].startswith("Case 2 1 ")
    answers = complete_answers(tool, 1)
    clean, _ = normalise(tool, answers, None)
    stamp = excel.Stamp("AUD-LONG", "police", cases)
    data = excel.export_return(tool, None, dict.fromkeys(cases, clean), stamp=stamp, title="t")
    expected = excel.Expected("AUD-LONG", "police", cases)
    assert excel.read_return(tool, None, data, expected=expected, complete=True) == dict.fromkeys(
        cases, clean
    )


# --- From the command line -------------------------------------------------------------------


def _invoke(*args: str, actor: str) -> Result:
    return CliRunner().invoke(
        app, [*args, "--as", actor], env={"COLUMNS": "250"}, catch_exceptions=False
    )


@pytest.fixture
def cli(partnership: Deps, monkeypatch: pytest.MonkeyPatch) -> Deps:
    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: partnership)
    return partnership


def test_one_workbook_per_agency_from_the_command_line(
    cli: Deps, mace: str, tmp_path: Path
) -> None:
    deps = cli
    workbook = tmp_path / "police.xlsx"
    exported = _invoke("return", "export", mace, "police", "-o", str(workbook), actor=POLICE)
    assert exported.exit_code == 0, exported.stderr
    book = book_of(workbook.read_bytes())
    expected: Mapping[str, dict[str, str]] = {
        case: _fill(book, _tool(deps), case, n) for n, case in enumerate(FIVE)
    }
    book.save(workbook)

    wrong = _invoke(
        "return", "import", mace, "police", str(workbook), "--case", "NG-003", actor=POLICE
    )
    assert wrong.exit_code == 1
    assert wrong.stderr.startswith("Error: The workbook holds the returns for cases NG-001")
    assert "import it without --case" in wrong.stderr
    assert _nothing_stored(deps, mace, POLICE, "police", FIVE)

    done = _invoke("return", "import", mace, "police", str(workbook), actor=POLICE)
    assert done.exit_code == 0, done.stderr
    assert f"{mace}: the police return for case NG-004 is draft" in done.stdout
    assert done.stdout.count("is draft") == 5
    assert _answers(deps, mace, POLICE, "police", FIVE) == expected
