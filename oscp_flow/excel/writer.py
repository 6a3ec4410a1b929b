"""Writing a return to a workbook: every value as data, never as a formula."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from oscp_flow.excel.shape import (
    ABOUT,
    ANSWER,
    COLUMNS,
    FORMATS,
    FORMULA_START,
    HEADER,
    LISTS,
    SheetSet,
    Value,
    choices,
    sheet_sets,
)
from oscp_flow.excel.stamp import Stamp
from states.definitions.tool import YES_NO_PARTLY, Question, Section, ToolDefinition

# --- Export ----------------------------------------------------------------------------------


def put_value(cell: Cell, value: Value) -> None:
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


class ChoiceLists:
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
                put_value(sheet[f"{letter}{row}"], label)
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
        put_value(cell, value)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet[f"A{row}"].font = Font(color="808080", size=8)
    cell = sheet[f"{ANSWER}{row}"]
    put_value(cell, None if answer is None else _shown(tool, q, answer))
    # Only the answers can be edited; text formatting stops Excel turning "1/2" into a date.
    cell.protection = Protection(locked=False)
    cell.number_format = FORMATS.get(q.type, "@")
    cell.fill = PatternFill("solid", fgColor="FFF8DC")


def _section_sheet(
    sheet: Worksheet,
    tool: ToolDefinition,
    section: Section,
    answers: Mapping[str, str],
    lists: ChoiceLists,
) -> None:
    for letter, label in zip(COLUMNS, HEADER, strict=True):
        put_value(sheet[f"{letter}1"], label)
        sheet[f"{letter}1"].font = Font(bold=True)
    drop_downs: dict[str, DataValidation] = {}
    for row, q in enumerate(section.questions, start=2):
        _question_row(sheet, row, tool, q, answers.get(q.id))
        offered = choices(tool, q)
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
    "column A: they tie each answer to its question. The references above (audit, agency "
    "and any cases) tie the workbook to its return: the import refuses it for another one.\n"
    "6. Importing replaces the saved answers with the workbook's, so a blank cell clears that "
    "answer. If anything is wrong nothing is saved, and every cell to fix is listed."
)
PER_CASE = (
    "\nEach case has its own sheets, named with the case reference (or 'Case 1', 'Case 2'... "
    "for a long reference, in the order listed above) and the section's number. The whole "
    "workbook is imported at once: a problem in any case's sheets saves nothing for any case."
)


def _sheet_list(sets: Sequence[SheetSet]) -> str:
    lines = []
    for k, found in enumerate(sets, start=1):
        if found.case is not None:
            named = all(title.startswith(f"{found.case} ") for title, _ in found.sheets)
            lines.append(f"Case {found.case}:" if named else f"Case {k} = {found.case}:")
        lines += [title for title, _ in found.sheets]
    return "\n".join(lines)


def _about(
    sheet: Worksheet,
    tool: ToolDefinition,
    phase: str | None,
    stamp: Stamp,
    *,
    title: str,
    sets: Sequence[SheetSet],
) -> None:
    sheet.title = ABOUT
    rows: list[tuple[str, str]] = [
        ("What this is", f"One return for an OSCP audit, to fill in offline: {tool.title}."),
        ("Return", title),
        *stamp.rows(),
        ("Questions", f"The '{phase}' round of the tool." if phase else "The whole tool."),
        ("About the tool", " ".join(tool.description.split())),
        ("How to fill it in", HOW_TO + (PER_CASE if stamp.cases else "")),
        (
            "Keep it safe",
            "Never write a child's, family member's or practitioner's name: use the case "
            "reference. Send this file only by secure e-mail.",
        ),
        ("Sheets", _sheet_list(sets)),
    ]
    put_value(sheet["A1"], tool.title)
    sheet["A1"].font = Font(bold=True, size=14)
    for row, (label, text) in enumerate(rows, start=3):
        put_value(sheet[f"A{row}"], label)
        put_value(sheet[f"B{row}"], text)
        sheet[f"A{row}"].font = Font(bold=True)
        sheet[f"A{row}"].alignment = Alignment(vertical="top")
        sheet[f"B{row}"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 100
    sheet.protection.sheet = True


def export_return(
    tool: ToolDefinition,
    phase: str | None,
    answers: Mapping[str | None, Mapping[str, str]],
    *,
    stamp: Stamp,
    title: str,
) -> bytes:
    """A workbook of the questions this round asks, one set of sheets per case of ``stamp``
    (one for the agency when it names none), pre-filled with ``answers`` (canonical) by case,
    and stamped with the return it is for."""
    book = Workbook()
    sets = sheet_sets(tool, phase, stamp.cases)
    _about(book.worksheets[0], tool, phase, stamp, title=title, sets=sets)
    lists = ChoiceLists()
    for found in sets:
        given = answers.get(found.case, {})
        for name, section in found.sheets:
            _section_sheet(book.create_sheet(name), tool, section, given, lists)
    lists.write(book.create_sheet(LISTS))
    # Sheets cannot be renamed, moved, deleted or unhidden in Excel: the importer finds each
    # section by its sheet's name. No password: this guides people, the importer enforces.
    book.security = WorkbookProtection(lockStructure=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
