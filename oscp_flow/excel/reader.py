"""Reading a returned workbook: size-checked before unpacking, read without running
anything (``oscp_flow.excel.guards``), checked to be the return being imported
(``oscp_flow.excel.stamp``), every problem in every case's sheets listed against its cell."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from oscp_flow.excel.guards import Limits, open_workbook, parsed
from oscp_flow.excel.shape import (
    ANSWER,
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    MAX_SHEETS,
    MAX_UNPACKED,
    CellProblem,
    SpreadsheetRejected,
    sheet_sets,
)
from oscp_flow.excel.stamp import Expected, check, read_stamp
from states.definitions.tool import Section, ToolDefinition
from states.errors import AnswerProblem
from states.rules.answers import is_blank, missing_required, normalise

# --- Import ----------------------------------------------------------------------------------


def _limits() -> Limits:
    # Built when a file is read, so the module's limits can be lowered (in a test) to make an
    # ordinary file stand for a zip bomb.
    return Limits(
        what="a return",
        redo="export the return again and fill in that file",
        max_bytes=MAX_BYTES,
        max_unpacked=MAX_UNPACKED,
        max_sheets=MAX_SHEETS,
    )


def _open(data: bytes) -> Workbook:
    return open_workbook(data, _limits())


def _rows(book: Workbook, title: str) -> list[tuple[object, ...]] | None:
    """Columns A to E of a sheet (None if it is missing), refused past the row limit."""
    found = {name.lower(): name for name in book.sheetnames}.get(title.lower())
    sheet = None if found is None else book[found]
    if not isinstance(sheet, ReadOnlyWorksheet):
        return None
    rows: list[tuple[object, ...]] = []
    for values in parsed(sheet.iter_rows(max_col=len(COLUMNS), values_only=True), _limits()):
        rows.append(tuple(values))
        if len(rows) > MAX_ROWS:  # stop reading: the rest of the sheet is never parsed
            message = f"the sheet has more than {MAX_ROWS:,} rows; a return has far fewer"
            raise SpreadsheetRejected([CellProblem(title, None, None, message)])
    return rows


@dataclass
class _Reading:
    """What a pass over the workbook found: raw answers where they are, and problems."""

    homes: dict[str, tuple[str, int]]  # where each question's row should be
    ids: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # where it is
    raw: dict[str, object] = field(default_factory=dict)
    where: dict[str, tuple[str, int]] = field(default_factory=dict)
    problems: list[CellProblem] = field(default_factory=list)


def _ids_in(sheets: Mapping[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[str, int]]]:
    found: dict[str, list[tuple[str, int]]] = {}
    for title, rows in sheets.items():
        for number, values in enumerate(rows[1:], start=2):
            if values and not is_blank(values[0]):
                found.setdefault(str(values[0]).strip(), []).append((title, number))
    return found


def _misplaced(given: str, expected: str, home: tuple[str, int] | None, copies: int) -> str:
    keep = "column A must not change: put back"
    if not given:
        return f"the question id is missing; {keep} '{expected}'"
    if home is None:
        return f"'{given}' is not a question in this return; {keep} '{expected}'"
    if copies > 1:
        return f"question '{given}' appears twice; delete this copy and put back '{expected}'"
    return (
        f"question '{given}' was moved here from sheet '{home[0]}', row {home[1]}; "
        "put the rows back in their original places"
    )


def _stray(title: str, number: int, values: tuple[object, ...]) -> CellProblem | None:
    """Anything written below a sheet's questions belongs to no question."""
    for letter, value in zip(COLUMNS, values, strict=False):
        if not is_blank(value):
            return CellProblem(title, number, letter, "this row is not a question; clear it")
    return None


def _read_sheet(
    reading: _Reading,
    title: str,
    section: Section,
    rows: list[tuple[object, ...]],
) -> None:
    blank = (None,) * len(COLUMNS)
    for number in range(2, max(len(rows), len(section.questions) + 1) + 1):
        values = rows[number - 1] if number <= len(rows) else blank
        if number - 2 >= len(section.questions):
            stray = _stray(title, number, values)
            reading.problems += [stray] if stray else []
            continue
        expected = section.questions[number - 2].id
        given = "" if is_blank(values[0]) else str(values[0]).strip()
        if given == expected:
            reading.raw[expected] = values[2]
            reading.where[expected] = (title, number)
        else:
            message = _misplaced(
                given, expected, reading.homes.get(given), len(reading.ids.get(given, []))
            )
            reading.problems.append(CellProblem(title, number, "A", message))


def _value_problem(reading: _Reading, problem: AnswerProblem) -> CellProblem:
    title, number = reading.where[problem.question_id]
    message = problem.message
    if message.startswith(("must", "is ")):
        message = f"the answer {message}"
    return CellProblem(title, number, ANSWER, message)


def _read(book: Workbook, placed: Sequence[tuple[str, Section]]) -> _Reading:
    reading = _Reading(
        {q.id: (title, n) for title, s in placed for n, q in enumerate(s.questions, start=2)}
    )
    sheets: dict[str, list[tuple[object, ...]]] = {}
    for title, _ in placed:
        rows = _rows(book, title)
        if rows is None:
            reading.problems.append(
                CellProblem(title, None, None, "this sheet is missing; export the return again")
            )
        else:
            sheets[title] = rows
    reading.ids = _ids_in(sheets)
    for title, section in placed:
        if title in sheets:
            _read_sheet(reading, title, section, sheets[title])
    return reading


def _located(reading: _Reading, problems: Sequence[AnswerProblem]) -> Iterator[CellProblem]:
    # A question whose row is not where it should be is already reported at column A.
    return (_value_problem(reading, p) for p in problems if p.question_id in reading.where)


def _answers(
    tool: ToolDefinition, phase: str | None, reading: _Reading, complete: bool
) -> dict[str, object]:
    """One return's answers, its problems added to ``reading``."""
    clean, problems = normalise(tool, reading.raw, phase)
    if complete:  # a cell already at fault is not also reported as unanswered
        faulty = {p.question_id for p in problems}
        problems += [p for p in missing_required(tool, clean, phase) if p.question_id not in faulty]
    reading.problems += _located(reading, problems)
    return {question: clean.get(question) for question in reading.raw}


def read_return(
    tool: ToolDefinition,
    phase: str | None,
    data: bytes,
    *,
    expected: Expected,
    complete: bool = False,
) -> dict[str | None, dict[str, object]]:
    """Every question's answer in the workbook (canonical text; None where the cell is blank,
    so importing clears it), by case (None for an agency's own return). A workbook that is not
    the ``expected`` return is refused (``WorkbookMismatch``) before any answer is read; one
    with any problem in any case's sheets raises ``SpreadsheetRejected`` listing them all.
    ``complete`` also requires every required answer, as submitting does.
    """
    book = _open(data)
    try:
        stamp = read_stamp(book, _limits())
        check(stamp, expected, per_case=tool.per_subject)
        sets = sheet_sets(tool, phase, stamp.cases)
        readings = [(found.case, _read(book, found.sheets)) for found in sets]
    finally:
        book.close()
    answers = {case: _answers(tool, phase, reading, complete) for case, reading in readings}
    problems = [p for _, reading in readings for p in reading.problems]
    if problems:
        order = {title: n for n, (title, _) in enumerate(s for f in sets for s in f.sheets)}
        problems.sort(key=lambda p: (order.get(p.sheet or "", -1), p.row or 0, p.column or ""))
        raise SpreadsheetRejected(problems)
    return answers
