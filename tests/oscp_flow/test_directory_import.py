"""``oscp directory import|export|template``: the directory from and to Excel and CSV files.

A corpus of broken files (generated in ``tests.support.directory_corpus``: each kind of bad
row, wrong sheet names, formulas, macros, huge, corrupt and over-long files) is each refused
with its sheet, row and column, and the command stores nothing from any of them, on both
stores. A good file is shown first (--dry-run), then stored, and importing it again, or an
export of the directory, changes nothing. Every name is invented.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import Result

from oscp_flow.cli import common
from oscp_flow.excel.directory_csv import read_csv
from oscp_flow.excel.directory_io import read_files
from states.errors import DirectoryRejected
from states.persistence import tables as t
from states.rules.directory import ChangeKind, Directory, Part
from states.rules.directory_columns import COLUMNS
from states.rules.directory_plan import plan_import
from states.rules.directory_rows import read_directory
from states.services import directory
from states.services.deps import Deps
from tests.support.cli import on_database, oscp_with
from tests.support.directory_corpus import GOOD, LEAD, corpus, good_book
from tests.support.partnership import email

CORPUS = {broken.name: broken for broken in corpus()}
COORDINATOR = email("coordinator")
STORED = (t.agency, t.person, t.role, t.body, t.body_member, t.directory_change)


def refusals(paths: Sequence[Path], current: Directory = GOOD) -> list[str]:
    with pytest.raises(DirectoryRejected) as refused:
        read_directory(read_files(paths).parts, current)
    return [str(problem) for problem in refused.value.problems]


def oscp(deps: Deps, home: Path, *args: str) -> Result:
    return oscp_with(on_database(deps, home, 1), "directory", *args)


def importing(deps: Deps, home: Path, path: Path, *more: str) -> Result:
    return oscp(deps, home, "import", str(path), "--as", COORDINATOR, *more)


def counts(deps: Deps) -> dict[str, int]:
    with deps.uow(readonly=True) as uow:
        return {
            table.name: uow.connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in STORED
        }


def test_the_corpus_has_a_file_for_each_way_to_be_wrong() -> None:
    assert len(CORPUS) >= 15
    assert {Path(name).suffix for name in CORPUS} == {".xlsx", ".xlsm", ".csv"}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_broken_file_is_refused_naming_where(name: str, tmp_path: Path) -> None:
    broken = CORPUS[name]
    found = refusals([broken.write(tmp_path)], Directory())
    assert any(broken.says in problem for problem in found), found


def test_no_broken_file_stores_anything(
    partnership: Deps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On each store, the whole corpus through the command: each file is refused with its
    sentence, and the directory's tables (and its log) stay as they were. The command runs on
    the test's own dependencies, rather than loading every definition again for each file."""
    monkeypatch.setattr(common, "build_deps", lambda: partnership)
    before = counts(partnership)
    for broken in CORPUS.values():
        result = importing(partnership, tmp_path, broken.write(tmp_path), "--reason", "Corpus")
        assert result.exit_code == 1, (broken.name, result.output)
        assert broken.says.lower() in result.stderr.lower(), (broken.name, result.stderr)
        assert "nothing was stored" in result.stderr
    assert counts(partnership) == before


def test_a_dry_run_shows_the_changes_and_stores_nothing(partnership: Deps, tmp_path: Path) -> None:
    book = tmp_path / "directory.xlsx"
    book.write_bytes(good_book())
    before = counts(partnership)
    shown = importing(partnership, tmp_path, book, "--dry-run")
    assert shown.exit_code == 0, shown.output
    assert counts(partnership) == before
    assert "Dry run: nothing was stored." in shown.stdout
    # part, added, changed, unchanged, deactivated: everything in the file is new here.
    assert summary(shown.stdout) == {
        "agencies": ["2", "0", "0", "0"],
        "settings": ["2", "0", "0", "0"],
        "people": ["3", "0", "0", "0"],
        "bodies": ["1", "0", "0", "0"],
    }


def summary(output: str) -> dict[str, list[str]]:
    """The counts of the import's summary table, by part."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if len(cells) > 4 and cells[0] in {part.value for part in Part} and cells[1].isdigit():
            rows[cells[0]] = cells[1:5]
    return rows


def test_an_import_stores_the_file_and_a_second_changes_nothing(
    partnership: Deps, tmp_path: Path
) -> None:
    book = tmp_path / "directory.xlsx"
    book.write_bytes(good_book())
    first = importing(partnership, tmp_path, book, "--reason", "The partnership's directory")
    assert first.exit_code == 0, first.output
    assert "Stored 8 change(s) to the directory." in first.stdout
    stored = directory.snapshot(partnership, viewer=COORDINATOR)
    assert stored.people[LEAD] == GOOD.people[LEAD]
    assert stored.settings["140001"] == GOOD.settings["140001"]
    assert stored.bodies["em_hub"] == GOOD.bodies["em_hub"]
    after = counts(partnership)
    again = importing(partnership, tmp_path, book, "--reason", "Again")
    assert again.exit_code == 0, again.output
    assert "nothing changed" in again.stdout
    assert summary(again.stdout) == {
        "agencies": ["0", "0", "2", "0"],
        "settings": ["0", "0", "2", "0"],
        "people": ["0", "0", "3", "0"],
        "bodies": ["0", "0", "1", "0"],
    }
    assert counts(partnership) == after


def test_a_changed_row_is_shown_with_its_fields_and_logged(
    partnership: Deps, tmp_path: Path
) -> None:
    book = tmp_path / "directory.xlsx"
    book.write_bytes(good_book())
    assert importing(partnership, tmp_path, book, "--reason", "First").exit_code == 0
    edited = load_workbook(book)
    people = edited["people"]
    people["B3"], people["D3"], people["E4"] = "Lead EM01 (acting)", "agency_lead; auditor", "no"
    edited.save(book)
    before = counts(partnership)["directory_change"]
    result = importing(partnership, tmp_path, book, "--reason", "Changes at Eastmoor")
    assert result.exit_code == 0, result.output
    assert summary(result.stdout)["people"] == ["0", "1", "1", "1"]
    assert "name (1), roles (1)" in result.stdout and "active (1)" in result.stdout
    stored = directory.snapshot(partnership, viewer=COORDINATOR)
    assert stored.people[LEAD].roles == {"agency_lead", "auditor"}
    assert not stored.people["trust.em03@example.org"].active
    assert counts(partnership)["directory_change"] > before


def test_an_export_imports_again_unchanged(partnership: Deps, tmp_path: Path) -> None:
    """The test partnership as the engine holds it (agencies from before settings had URNs
    among them), out to a workbook and to CSV files, and each back in: nothing changes."""
    for target in (tmp_path / "out.xlsx", tmp_path / "csv"):
        exported = oscp(partnership, tmp_path, "export", "-o", str(target), "--as", COORDINATOR)
        assert exported.exit_code == 0, exported.output
        files = sorted(target.iterdir()) if target.is_dir() else [target]
        current = directory.snapshot(partnership, viewer=COORDINATOR)
        read = read_files(files)
        plan = plan_import(current, read_directory(read.parts, current), read.given)
        assert len(plan.changes) == sum(len(getattr(current, p.value)) for p in Part)
        assert {c.kind for c in plan.changes} == {ChangeKind.UNCHANGED}
        names = [str(target)]  # the workbook, or the folder of CSV files as exported
        again = oscp(
            partnership, tmp_path, "import", *names, "--as", COORDINATOR, "--reason", "Again"
        )
        assert again.exit_code == 0, again.output
        assert "nothing changed" in again.stdout


def test_only_a_coordinator_may_import_or_export(partnership: Deps, tmp_path: Path) -> None:
    missing = tmp_path / "never-read.xlsx"
    refused = oscp(partnership, tmp_path, "import", str(missing), "--dry-run",
                   "--as", email("chair"))  # fmt: skip
    assert refused.exit_code == 4, refused.output
    assert "coordinator" in refused.stderr
    exported = oscp(partnership, tmp_path, "export", "-o", str(tmp_path / "d.xlsx"),
                    "--as", email("lead.police"))  # fmt: skip
    assert exported.exit_code == 4 and not (tmp_path / "d.xlsx").exists()


def test_storing_needs_a_reason(partnership: Deps, tmp_path: Path) -> None:
    book = tmp_path / "directory.xlsx"
    book.write_bytes(good_book())
    result = importing(partnership, tmp_path, book)
    assert result.exit_code == 2 and "--reason" in result.stderr


def test_the_template_has_every_sheet_heading_and_drop_down(tmp_path: Path) -> None:
    path = tmp_path / "directory.xlsx"
    result = oscp_with({"OSCP_HOME": str(tmp_path)}, "directory", "template", "-o", str(path))
    assert result.exit_code == 0, result.output
    book = load_workbook(path)
    assert book.sheetnames == ["How to fill this in", *(p.value for p in Part), "Lists"]
    assert book["Lists"].sheet_state == "hidden"
    for part in Part:
        sheet = book[part.value]
        assert [c.value for c in sheet[1]] == list(COLUMNS[part])
        assert sheet.max_row == 1
    checks = {
        (part.value, sheet_range.split(":")[0][0], check.showErrorMessage)
        for part in Part
        for check in book[part.value].data_validations.dataValidation
        for sheet_range in str(check.sqref).split()
    }
    assert checks == {
        ("agencies", "C", True), ("agencies", "D", True),
        ("settings", "D", True), ("settings", "E", True), ("settings", "F", True),
        ("people", "D", False), ("people", "E", True),
        ("bodies", "C", True), ("bodies", "E", True),
    }  # fmt: skip
    lists = {str(c.value) for row in book["Lists"].iter_rows() for c in row if c.value}
    assert {"police", "school", "primary", "learning_hub", "agency_lead", "yes", "no"} <= lists
    read = read_files([path])
    assert read_directory(read.parts, Directory()) == Directory()


def test_a_template_needs_an_xlsx_name(tmp_path: Path) -> None:
    wrong = tmp_path / "d.csv"
    result = oscp_with({"OSCP_HOME": str(tmp_path)}, "directory", "template", "-o", str(wrong))
    assert result.exit_code == 2 and ".xlsx" in result.stderr


def test_windows_1252_csv_is_read_and_said(tmp_path: Path) -> None:
    path = tmp_path / "agencies.csv"
    rows = "code,name,kind\r\nem_cafe,Eastmoor Café Project,voluntary_sector\r\n"
    path.write_bytes(rows.encode("cp1252"))
    part = read_csv(path)
    assert part.note == "Read agencies.csv as Windows-1252: it is not UTF-8 (from line 2)."
    read = read_directory([part.rows], Directory())
    assert read.agencies["em_cafe"].name == "Eastmoor Café Project"


def test_a_workbook_excel_wrote_with_numbers_and_ticks_reads_as_text(tmp_path: Path) -> None:
    edited = load_workbook(io.BytesIO(good_book()))
    edited["settings"]["A2"] = 140001  # a URN typed into a cell that lost its text format
    edited["agencies"]["D2"] = True  # TRUE typed under active
    path = tmp_path / "typed.xlsx"
    edited.save(path)
    read = read_directory(read_files([path]).parts, Directory())
    assert read.settings["140001"] == GOOD.settings["140001"]
    assert read.agencies["em_council"].active is True


def test_a_workbook_and_csv_files_are_not_mixed(tmp_path: Path) -> None:
    book, people = tmp_path / "d.xlsx", tmp_path / "people.csv"
    book.write_bytes(good_book())
    people.write_text("email,name,agency,roles\n")
    assert refusals([book, people]) == ["import one workbook at a time, or CSV files alone"]
    assert refusals([people, tmp_path / "sub" / "people.csv"]) == [
        f"there is no file {tmp_path / 'sub' / 'people.csv'}"
    ]
