"""One return as an Excel workbook: exported to fill in offline, read back and checked.

Agencies fill returns in Excel and send them by e-mail, so the workbook is untrusted both
ways. Going out, every value is written as data, never as a formula. Coming back, the file
is size-checked before it is unpacked, read without running anything, and every problem in
it is listed against its cell; answers are stored only when the whole file is clean, by the
same service calls (and so the same access rules) as the web form.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select

from states import tables as t
from states.answers import AnswerProblem, is_blank, missing_required, normalise
from states.errors import InvalidInput, ReturnLocked, ReturnsClosed
from states.services import returns
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.store import AuditStore
from states.tool import YES_NO_PARTLY, Question, Section, ToolDefinition

MAX_BYTES = 5 * 1024 * 1024
MAX_SHEETS = 50
MAX_ROWS = 2000
# A 5 MB file of XML can honestly unpack to ten times that; far more is a zip bomb.
MAX_UNPACKED = 60 * 1024 * 1024
ABOUT, LISTS = "About", "Lists"
# Sheet names this module uses itself, and "History", which Excel keeps for its own use.
RESERVED_TITLES = frozenset({ABOUT.lower(), LISTS.lower(), "history"})
HEADER = ("Question id (do not change)", "Question", "Your answer", "Required?", "Help")
COLUMNS = "ABCDE"
ANSWER = "C"
# Spreadsheet programs treat text starting with these as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
_DANGLING = frozenset(
    ("a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with")
)
_FORMATS = {"date": "yyyy-mm-dd", "number": "General"}
# What a cell is given: never a formula, since none is ever written.
Value = str | int | float | date | None
_NOT_XLSX = (
    "the file is not an Excel workbook (.xlsx); export the return again and fill in that file"
)


@dataclass(frozen=True)
class CellProblem:
    """One thing wrong in a workbook; sheet, row and column are None where they do not apply."""

    sheet: str | None
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.sheet is None:
            return self.message
        where = f"Sheet '{self.sheet}'"
        if self.row is not None:
            where += f", cell {self.column}{self.row}" if self.column else f", row {self.row}"
        return f"{where}: {self.message}"


class SpreadsheetRejected(InvalidInput):
    """A workbook was refused as a whole; every problem found in it is listed."""

    def __init__(self, problems: Sequence[CellProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        listed = "; ".join(str(p) for p in self.problems[:3])
        more = f" (and {count - 3} more)" if count > 3 else ""
        super().__init__(
            f"The spreadsheet was not imported and nothing was saved, because of {count} "
            f"problem{'s' if count != 1 else ''}: {listed}{more}."
        )


def _file_problem(message: str) -> SpreadsheetRejected:
    return SpreadsheetRejected([CellProblem(None, None, None, message)])


# --- Layout: shared by export and import, so both agree where each question lives ----------


def layout(tool: ToolDefinition, phase: str | None) -> list[tuple[str, Section]]:
    """Each section this round asks, with the unique, Excel-safe title of its sheet."""
    taken = set(RESERVED_TITLES)
    placed = []
    for section in tool.sections:
        if phase is not None and section.phase not in (None, phase):
            continue
        title = _unique(_sheet_title(section.title) or section.id[:31], taken)
        taken.add(title.lower())
        placed.append((title, section))
    return placed


def _sheet_title(text: str) -> str:
    cleaned = " ".join(_BAD_TITLE.sub(" ", text).split()).strip("'")
    if len(cleaned) <= 31:
        return cleaned
    head = cleaned[:32]
    words = (head.rsplit(" ", 1)[0] if " " in head else cleaned[:31]).split()
    # End on a whole word that finishes the phrase ("Clear statement", not "... of the").
    while len(words) > 1 and words[-1].lower().rstrip(",;") in _DANGLING:
        words.pop()
    cut = " ".join(words)
    if cut.rfind("(") > cut.rfind(")"):
        cut = cut[: cut.rfind("(")] or cut
    return cut.rstrip(" ,;.-'(")


def _unique(title: str, taken: set[str]) -> str:
    # Excel compares sheet names without regard to case.
    candidate, n = title, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = title[: 31 - len(suffix)].rstrip() + suffix, n + 1
    return candidate


def _choices(tool: ToolDefinition, q: Question) -> tuple[str, list[str]] | None:
    """The labels a drop-down offers, and a key shared by questions offering the same ones."""
    if q.type == "rating":
        return f"scale {q.scale}", [g.label for g in tool.scales[q.scale or ""].grades]
    if q.type == "yes_no_partly":
        return "yes_no_partly", [v.capitalize() for v in YES_NO_PARTLY]
    if q.type == "choice":
        return f"choice {q.id}", [o.label for o in q.options or []]
    return None


# --- Export ----------------------------------------------------------------------------------


def _put(cell: Cell, value: Value) -> None:
    """Write a value as data. Text is always text: one that looks like a formula is kept as a
    string (and marked so Excel keeps it text when edited), since these files travel by e-mail.
    """
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # XML cannot carry control characters
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True


class _Lists:
    """Drop-down choices live on a hidden sheet: an inline Excel list breaks on any comma."""

    def __init__(self) -> None:
        self.columns: dict[str, tuple[str, list[str]]] = {}

    def source(self, key: str, labels: list[str]) -> str:
        if key not in self.columns:
            self.columns[key] = (get_column_letter(len(self.columns) + 1), labels)
        letter, values = self.columns[key]
        return f"{LISTS}!${letter}$1:${letter}${len(values)}"

    def write(self, sheet: Worksheet) -> None:
        for letter, values in self.columns.values():
            for row, label in enumerate(values, start=1):
                _put(sheet[f"{letter}{row}"], label)
        sheet.sheet_state = "hidden"
        sheet.protection.sheet = True


def _shown(tool: ToolDefinition, q: Question, value: str) -> Value:
    """A stored (canonical) answer as a person reads and picks it in the workbook."""
    labels: dict[str, str] = {}
    if q.type == "rating":
        labels = {g.value: g.label for g in tool.scales[q.scale or ""].grades}
    elif q.type == "choice":
        labels = {o.value: o.label for o in q.options or []}
    elif q.type == "yes_no_partly":
        labels = {v: v.capitalize() for v in YES_NO_PARTLY}
    try:
        if q.type == "number":
            return int(value) if value.lstrip("-").isdigit() else float(value)
        if q.type == "date":
            return date.fromisoformat(value)
    except ValueError:
        pass  # stored before a tool change; shown as it is, and checked again on import
    return labels.get(value, value)


def _help(tool: ToolDefinition, q: Question) -> str:
    parts = [q.help.strip()] if q.help.strip() else []
    if q.type == "rating":
        parts += [
            f"{g.label}: {' '.join(g.guidance.split())}" for g in tool.scales[q.scale or ""].grades
        ]
    elif q.type == "choice":
        parts.append("Choose one: " + "; ".join(o.label for o in q.options or []) + ".")
    elif q.type == "yes_no_partly":
        parts.append("Answer Yes, No or Partly.")
    elif q.type == "number":
        low = "" if q.minimum is None else f" from {q.minimum}"
        high = "" if q.maximum is None else f" up to {q.maximum}"
        parts.append(f"A number{low}{high}.")
    elif q.type == "date":
        parts.append("A date written YYYY-MM-DD, for example 2026-03-31.")
    return "\n".join(parts)


def _question_row(
    sheet: Worksheet, row: int, tool: ToolDefinition, q: Question, answer: str | None
) -> None:
    values = (q.id, q.text, None, "required" if q.required else "optional", _help(tool, q) or None)
    for letter, value in zip(COLUMNS, values, strict=True):
        cell = sheet[f"{letter}{row}"]
        _put(cell, value)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet[f"A{row}"].font = Font(color="808080", size=8)
    cell = sheet[f"{ANSWER}{row}"]
    _put(cell, None if answer is None else _shown(tool, q, answer))
    # Only the answers can be edited; text formatting stops Excel turning "1/2" into a date.
    cell.protection = Protection(locked=False)
    cell.number_format = _FORMATS.get(q.type, "@")
    cell.fill = PatternFill("solid", fgColor="FFF8DC")


def _section_sheet(
    sheet: Worksheet,
    tool: ToolDefinition,
    section: Section,
    answers: Mapping[str, str],
    lists: _Lists,
) -> None:
    for letter, label in zip(COLUMNS, HEADER, strict=True):
        _put(sheet[f"{letter}1"], label)
        sheet[f"{letter}1"].font = Font(bold=True)
    drop_downs: dict[str, DataValidation] = {}
    for row, q in enumerate(section.questions, start=2):
        _question_row(sheet, row, tool, q, answers.get(q.id))
        offered = _choices(tool, q)
        if offered is None:
            continue
        key, labels = offered
        if key not in drop_downs:
            drop_downs[key] = DataValidation(
                type="list",
                formula1=lists.source(key, labels),
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Not one of the answers",
                error="Choose one of the answers in the drop-down list.",
            )
            sheet.add_data_validation(drop_downs[key])
        drop_downs[key].add(f"{ANSWER}{row}")
    for letter, width in zip(COLUMNS, (12, 55, 40, 10, 70), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    # A guide, not security (the importer checks column A anyway): no password, and columns
    # and rows may still be resized.
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


HOW_TO = (
    "1. On each of the following sheets, answer in column C ('Your answer'); nothing else "
    "can be changed.\n"
    "2. For ratings, Yes/No/Partly and choices, pick from the drop-down list in the cell. "
    "Column E explains each rating.\n"
    "3. Write dates as YYYY-MM-DD and numbers as plain numbers.\n"
    "4. Questions marked 'required' need an answer before the return can be submitted; a "
    "part-filled workbook can be imported as a draft.\n"
    "5. Do not rename, add or remove sheets, or change, move or delete the question ids in "
    "column A: they tie each answer to its question.\n"
    "6. Importing replaces the saved answers with the workbook's, so a blank cell clears that "
    "answer. If anything is wrong nothing is saved, and every cell to fix is listed."
)


def _about(
    sheet: Worksheet, tool: ToolDefinition, phase: str | None, title: str, sheets: list[str]
) -> None:
    sheet.title = ABOUT
    rows: list[tuple[str, str]] = [
        ("What this is", f"One return for an OSCP audit, to fill in offline: {tool.title}."),
        ("Return", title),
        ("Questions", f"The '{phase}' round of the tool." if phase else "The whole tool."),
        ("About the tool", " ".join(tool.description.split())),
        ("How to fill it in", HOW_TO),
        (
            "Keep it safe",
            "Never write a child's, family member's or practitioner's name: use the case "
            "reference. Send this file only by secure e-mail.",
        ),
        ("Sheets", "\n".join(sheets)),
    ]
    _put(sheet["A1"], tool.title)
    sheet["A1"].font = Font(bold=True, size=14)
    for row, (label, text) in enumerate(rows, start=3):
        _put(sheet[f"A{row}"], label)
        _put(sheet[f"B{row}"], text)
        sheet[f"A{row}"].font = Font(bold=True)
        sheet[f"A{row}"].alignment = Alignment(vertical="top")
        sheet[f"B{row}"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 100
    sheet.protection.sheet = True


def export_return(
    tool: ToolDefinition, phase: str | None, answers: Mapping[str, str], *, title: str
) -> bytes:
    """A workbook of the questions this round asks, pre-filled with ``answers`` (canonical)."""
    book = Workbook()
    placed = layout(tool, phase)
    _about(book.worksheets[0], tool, phase, title, [name for name, _ in placed])
    lists = _Lists()
    for name, section in placed:
        _section_sheet(book.create_sheet(name), tool, section, answers, lists)
    lists.write(book.create_sheet(LISTS))
    # Sheets cannot be renamed, moved, deleted or unhidden in Excel: the importer finds each
    # section by its sheet's name. No password: this guides people, the importer enforces.
    book.security = WorkbookProtection(lockStructure=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- Import ----------------------------------------------------------------------------------


def _check_container(data: bytes) -> None:
    """Refuse what can be refused from the zip directory alone, before anything is unpacked."""
    if len(data) > MAX_BYTES:
        raise _file_problem(
            f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; "
            "export the return again and fill in that file"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _file_problem(_NOT_XLSX) from None
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names:  # every Office Open XML package has one
        raise _file_problem(_NOT_XLSX)
    # zipfile stops at each entry's declared size, so the declared total bounds the unpacking.
    if sum(e.file_size for e in entries) > MAX_UNPACKED:
        raise _file_problem("the file unpacks to far more than a return needs; it was not opened")
    if sum(n.startswith("xl/worksheets/") and n.endswith(".xml") for n in names) > MAX_SHEETS:
        raise _too_many_sheets()


def _too_many_sheets() -> SpreadsheetRejected:
    return _file_problem(f"the workbook has more than {MAX_SHEETS} sheets; a return has fewer")


def _open(data: bytes) -> Workbook:
    _check_container(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # untrusted bytes: any parser failure means the same to a person
        raise _file_problem(_NOT_XLSX) from None
    if len(book.sheetnames) > MAX_SHEETS:
        book.close()
        raise _too_many_sheets()
    return book


def _rows(book: Workbook, title: str) -> list[tuple[object, ...]] | None:
    """Columns A to E of a sheet (None if it is missing), refused past the row limit."""
    found = {name.lower(): name for name in book.sheetnames}.get(title.lower())
    sheet = None if found is None else book[found]
    if not isinstance(sheet, ReadOnlyWorksheet):
        return None
    rows: list[tuple[object, ...]] = []
    for values in sheet.iter_rows(max_col=len(COLUMNS), values_only=True):
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


def _read(book: Workbook, tool: ToolDefinition, phase: str | None) -> _Reading:
    placed = layout(tool, phase)
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


def read_return(
    tool: ToolDefinition, phase: str | None, data: bytes, *, complete: bool = False
) -> dict[str, object]:
    """Every question's answer in the workbook (canonical text; None where the cell is blank,
    so importing clears it), or ``SpreadsheetRejected`` listing every problem in the file.
    ``complete`` also requires every required answer, as submitting does.
    """
    book = _open(data)
    try:
        reading = _read(book, tool, phase)
    finally:
        book.close()
    clean, problems = normalise(tool, reading.raw, phase)
    if complete:  # a cell already at fault is not also reported as unanswered
        faulty = {p.question_id for p in problems}
        problems += [p for p in missing_required(tool, clean, phase) if p.question_id not in faulty]
    reading.problems += _located(reading, problems)
    if reading.problems:
        order = {title: n for n, (title, _) in enumerate(layout(tool, phase))}
        reading.problems.sort(
            key=lambda p: (order.get(p.sheet or "", -1), p.row or 0, p.column or "")
        )
        raise SpreadsheetRejected(reading.problems)
    return {question: clean.get(question) for question in reading.raw}


# --- Services ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Round:
    tool: ToolDefinition
    phase: str | None
    returns_open: bool
    reference: str
    state: str
    agency_name: str


def _round(deps: Deps, audit: str | int, agency: str) -> _Round:
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        definition = compiled_for(deps, store, row).definition
        name = uow.connection.execute(
            select(t.agency.c.name).where(t.agency.c.code == agency)
        ).scalar_one_or_none()
        return _Round(
            returns.tool_for(deps, store, row),
            definition.state(row.state).phase,
            returns.returns_open(definition, row.state),
            row.reference,
            row.state,
            name or agency,
        )


def export(
    deps: Deps, *, audit: str | int, actor: str | int, agency: str, case: str | None = None
) -> bytes:
    """The return as a workbook, for whoever may read it (others are told it does not exist)."""
    view = returns.read(deps, audit=audit, actor=actor, agency=agency, case=case)
    found = _round(deps, audit, agency)
    title = f"{found.agency_name} ({agency}), audit {found.reference}"
    if case is not None:
        title += f", case {case}"
    return export_return(found.tool, found.phase, view.answers, title=title)


def import_(
    deps: Deps,
    *,
    audit: str | int,
    actor: str | int,
    agency: str,
    case: str | None = None,
    data: bytes,
    submit: bool = False,
) -> returns.ReturnView:
    """Save (or submit) the return from a workbook; a file with any problem saves nothing."""
    # Access first, so someone else's return is "not found" before their file is even opened.
    view = returns.read(deps, audit=audit, actor=actor, agency=agency, case=case)
    found = _round(deps, audit, agency)
    if not found.returns_open:
        raise ReturnsClosed(audit=found.reference, state=found.state)
    if view.status == "submitted":
        raise ReturnLocked(audit=found.reference)
    answers = read_return(found.tool, found.phase, data, complete=submit)
    if submit:
        return returns.submit(
            deps, audit=audit, actor=actor, agency=agency, case=case, answers=answers
        )
    return returns.save_draft(
        deps, audit=audit, actor=actor, agency=agency, case=case, answers=answers
    )
