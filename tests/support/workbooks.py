"""Return workbooks made and read without a database: stamped for an invented audit and
agency (and cases, on a tool completed per case), and read back as that return."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from oscp_flow import excel
from states.definitions.tool import ToolDefinition

AUDIT, AGENCY = "AUD-TEST", "police"
CASES = ("NG-001", "NG-002")


def cases_for(tool: ToolDefinition) -> tuple[str, ...]:
    """The cases a workbook of ``tool`` carries here: two when it is completed per case."""
    return CASES if tool.per_subject else ()


def blank_return(
    tool: ToolDefinition,
    phase: str | None = None,
    answers: Mapping[str, str] | None = None,
    *,
    cases: Sequence[str] | None = None,
) -> bytes:
    """A workbook as exported, every case of it pre-filled with ``answers``."""
    carried = cases_for(tool) if cases is None else tuple(cases)
    filled = {case: dict(answers or {}) for case in carried or (None,)}
    stamp = excel.Stamp(AUDIT, AGENCY, carried)
    return excel.export_return(tool, phase, filled, stamp=stamp, title="Police, audit AUD-TEST")


def read_back(
    tool: ToolDefinition, phase: str | None, data: bytes, *, complete: bool = False
) -> dict[str | None, dict[str, object]]:
    """The answers of a workbook made by ``blank_return``, by case."""
    expected = excel.Expected(AUDIT, AGENCY, cases_for(tool))
    return excel.read_return(tool, phase, data, expected=expected, complete=complete)


def book_of(data: bytes) -> Workbook:
    return load_workbook(io.BytesIO(data))


def bytes_of(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def question_sheets(book: Workbook) -> list[Worksheet]:
    return [
        s
        for s in book.worksheets
        if isinstance(s, Worksheet) and s.title not in (excel.ABOUT, excel.LISTS)
    ]


def cell_of(book: Workbook, question: str, *, sheet_prefix: str = "") -> tuple[Worksheet, int]:
    """The sheet and row of ``question`` (in the first sheet whose name starts with
    ``sheet_prefix``, which picks a case's sheets)."""
    for sheet in question_sheets(book):
        if not sheet.title.startswith(sheet_prefix):
            continue
        for row in range(2, sheet.max_row + 1):
            if sheet[f"A{row}"].value == question:
                return sheet, row
    raise AssertionError(f"{question} is not in the workbook")
