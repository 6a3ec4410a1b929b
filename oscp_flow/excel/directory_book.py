"""Reading a directory workbook: one sheet per part, named exactly as the parts are, read
through the same guards as a return (``oscp_flow.excel.guards``) into rows of text for
``states.rules.directory_rows``, which checks what they say.

Here only what the file itself can be blamed for is refused: a file too big or not a workbook,
macros, sheets under other names, more rows than a directory has, and any cell holding a
formula or a spreadsheet error (a value the engine would store is what a person typed, never
what a formula last worked out). Every such cell is listed, each with its sheet, row and column.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Protocol

from openpyxl import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from oscp_flow.excel.guards import Limits, check_container, open_workbook, parsed
from oscp_flow.excel.shape import LISTS, SpreadsheetRejected
from states.errors import DirectoryProblem, DirectoryRejected
from states.rules.directory import Part
from states.rules.directory_columns import column_letter, yes_no
from states.rules.directory_rows import PartRows

XLSX = ".xlsx"
HOW_TO = "How to fill this in"
# Sheets the template adds beside the parts; a workbook may keep or drop them.
OWN_SHEETS = (HOW_TO, LISTS)
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000  # a sheet's rows, headings included: well above any partnership's people
MAX_COLUMNS = 26  # A to Z: every part has at most six columns, so more is never read
LIMITS = Limits(
    what="a directory",
    redo="fill in the template from `oscp directory template` and save it as .xlsx",
    max_bytes=MAX_BYTES,
    # A 10 MB file of XML can honestly unpack to ten times that; far more is a zip bomb.
    max_unpacked=120 * 1024 * 1024,
    max_sheets=10,
)
MACROS = (
    "the workbook holds macros; save it as an Excel Workbook (.xlsx), which cannot, and "
    "import that file"
)


def where(part: Part) -> str:
    return f"Sheet '{part}'"


def refused(message: str) -> DirectoryRejected:
    return DirectoryRejected([DirectoryProblem(None, None, None, message)])


def read_book(data: bytes) -> list[PartRows]:
    """Each part's rows (numbered as the sheet numbers them) as text, or ``DirectoryRejected``
    listing everything wrong with the file itself."""
    try:
        names = check_container(data, LIMITS)
        if "xl/vbaProject.bin" in names:
            raise refused(MACROS)
        book = open_workbook(data, LIMITS, formulas=True)
    except SpreadsheetRejected as exc:  # the guards' refusal, in the directory's terms
        raise refused(str(exc.problems[0])) from None
    try:
        _check_sheet_names(book.sheetnames)
        return _parts(book)
    except SpreadsheetRejected as exc:  # a sheet's XML broke while it was read
        raise refused(str(exc.problems[0])) from None
    finally:
        book.close()


def read_book_file(path: Path) -> list[PartRows]:
    """``read_book`` on a file, refused by its name or size before it is read."""
    if path.suffix.lower() != XLSX:
        raise refused(f"{path.name} is not an Excel workbook (.xlsx); {LIMITS.redo}")
    if path.stat().st_size > MAX_BYTES:
        cap = MAX_BYTES // (1024 * 1024)
        raise refused(f"{path.name} is larger than {cap} MB; a directory is far smaller")
    return read_book(path.read_bytes())


def _check_sheet_names(names: Sequence[str]) -> None:
    expected = [part.value for part in Part]
    missing = [name for name in expected if name not in names]
    strange = [name for name in names if name not in expected and name not in OWN_SHEETS]
    if not missing and not strange:
        return
    found = ", ".join(f"'{name}'" for name in names)
    raise refused(
        f"the workbook's sheets must be named exactly {', '.join(expected)} (one for each part "
        f"of the directory), but they are {found}; rename them, or start from "
        "`oscp directory template`"
    )


def _parts(book: Workbook) -> list[PartRows]:
    problems: list[DirectoryProblem] = []
    parts = [PartRows(part, where(part), _rows(book, part, problems)) for part in Part]
    if problems:
        raise DirectoryRejected(problems)
    return parts


def _rows(
    book: Workbook, part: Part, problems: list[DirectoryProblem]
) -> list[tuple[int, list[str]]]:
    sheet = book[part.value]
    if not isinstance(sheet, ReadOnlyWorksheet):
        raise refused(f"{where(part)} is a chart, not a sheet of rows; {LIMITS.redo}")
    rows: list[tuple[int, list[str]]] = []
    for number, row in enumerate(parsed(sheet.iter_rows(max_col=MAX_COLUMNS), LIMITS), start=1):
        if number > MAX_ROWS:  # stop reading: the rest of the sheet is never parsed
            raise refused(f"{where(part)} has more than {MAX_ROWS:,} rows; a directory has fewer")
        texts = [_text(part, number, index, cell, problems) for index, cell in enumerate(row)]
        while texts and not texts[-1]:  # the empty cells the reader pads each row with
            texts.pop()
        rows.append((number, texts))
    return rows


class _Cell(Protocol):
    """A cell as a read-only sheet yields it (openpyxl's ReadOnlyCell, or EmptyCell)."""

    data_type: str

    @property
    def value(self) -> object: ...


def _text(part: Part, row: int, index: int, cell: _Cell, problems: list[DirectoryProblem]) -> str:
    """A cell as the text a person typed; a formula or an error is a problem, read as blank."""
    if cell.value is None:  # most cells of a sheet: no formula or error is without a value
        return ""
    if cell.data_type in ("f", "e"):
        why = (
            "holds a formula; type the value itself (or copy the column and paste it as values)"
            if cell.data_type == "f"
            else "holds a spreadsheet error; type the value itself"
        )
        problems.append(DirectoryProblem(where(part), row, column_letter(index), why))
        return ""
    return _shown(cell.value)


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: a ticked TRUE is a bool, and a bool is an int
        return yes_no(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a URN typed as a number is stored as 123456.0 by some programs
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)
