"""Writing the directory to a workbook: the export and the empty template are one shape, so
exporting, editing and importing again reports every untouched entry unchanged.

Each part's sheet has its headings, its entries as text (never a formula, as a return's
workbook), and drop-downs for the columns with a fixed vocabulary. A person's roles are
several, separated by ';', while an Excel drop-down puts one value in a cell: the roles column
offers the roles to pick one, and accepts anything typed (the import checks each role), so
two or more can be typed in full.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from oscp_flow.excel.directory_book import HOW_TO, MAX_ROWS
from oscp_flow.excel.writer import ChoiceLists, put_value
from states.definitions.roles import ROLES
from states.rules.directory import SETTING_KINDS, AgencyKind, BodyKind, Directory, Part, Phase
from states.rules.directory_columns import COLUMNS, NO, ROLE_SEPARATOR, YES, rows_of

# Column -> the values its drop-down offers, per part; ``roles`` is the one not enforced.
CHOICES: dict[Part, dict[str, list[str]]] = {
    Part.AGENCIES: {"kind": [k.value for k in AgencyKind if k not in SETTING_KINDS]},
    Part.SETTINGS: {
        "kind": [k.value for k in AgencyKind if k in SETTING_KINDS],
        "phase": [p.value for p in Phase],
    },
    Part.PEOPLE: {"roles": list(ROLES)},
    Part.BODIES: {"body_kind": [k.value for k in BodyKind]},
}
OPEN_CHOICES = frozenset({"roles"})
WIDTHS = {"name": 40, "body_name": 40, "email": 36, "member_email": 36, "roles": 40}
ABOUT_ROWS = (
    (
        "What this is",
        "The partnership's directory: its agencies, its schools, colleges and early years "
        "settings, its people and the bodies that decide. Import it with `oscp directory "
        "import directory.xlsx --dry-run --as EMAIL --reason TEXT` to see what would change, "
        "then without --dry-run to store it.",
    ),
    (
        "agencies",
        "One row per agency: a short code (letters, digits, '-' and '_'), its name, its kind, "
        "and whether it is active. Schools, colleges and early years settings go on 'settings'.",
    ),
    (
        "settings",
        "One row per school, college or early years setting: its URN (6 or 7 digits, from the "
        "DfE or Ofsted), a short code, its name, kind, phase and whether it is active.",
    ),
    (
        "people",
        "One row per person: work e-mail, name, the code of their agency or setting (empty for "
        "the partnership's own staff), their roles and whether they are active. Pick one role "
        f"from the drop-down, or type several separated by '{ROLE_SEPARATOR}', for example "
        f"agency_lead{ROLE_SEPARATOR} auditor.",
    ),
    (
        "bodies",
        "One row per member of each body: the body's code, name and kind (the same on every "
        "row of the body) and the member's e-mail, who must be on 'people' or already in the "
        "directory. A body with no members yet has one row with the e-mail left empty.",
    ),
    (
        "Importing again",
        "Each entry is found again by its code (agencies, bodies), URN (settings) or e-mail "
        "(people) and reported added, changed, unchanged or deactivated. Rows left out change "
        f"nothing: to deactivate an entry, write '{NO}' under active. A body's rows are its "
        "whole membership.",
    ),
    (
        "Rules",
        "Keep the sheet names and the headings. Type values: a cell holding a formula is "
        "refused. If any row is wrong nothing is stored, and every cell to fix is listed.",
    ),
    (
        "Keep it safe",
        "Work contact details of staff only: never a child's or a family member's details. "
        "Send this file only by secure e-mail.",
    ),
)


def directory_workbook(directory: Directory) -> bytes:
    """``directory`` as a workbook to edit and import again."""
    book = Workbook()
    _about(book.worksheets[0])
    lists = ChoiceLists()
    for part in Part:
        _part_sheet(book.create_sheet(part.value), part, rows_of(directory, part), lists)
    lists.write(book.create_sheet("Lists"))
    # A guide, not a rule (the import names the sheets it needs): no renaming or moving sheets.
    book.security = WorkbookProtection(lockStructure=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template() -> bytes:
    """The workbook to fill in: every sheet with its headings and drop-downs, and no rows."""
    return directory_workbook(Directory())


def _about(sheet: Worksheet) -> None:
    sheet.title = HOW_TO
    put_value(sheet["A1"], "The partnership's directory: how to fill this in")
    sheet["A1"].font = Font(bold=True, size=14)
    for row, (label, text) in enumerate(ABOUT_ROWS, start=3):
        put_value(sheet[f"A{row}"], label)
        put_value(sheet[f"B{row}"], text)
        sheet[f"A{row}"].font = Font(bold=True)
        sheet[f"A{row}"].alignment = Alignment(vertical="top")
        sheet[f"B{row}"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 100


def _part_sheet(
    sheet: Worksheet, part: Part, rows: Sequence[tuple[str, ...]], lists: ChoiceLists
) -> None:
    columns = COLUMNS[part]
    letters = [get_column_letter(index) for index in range(1, len(columns) + 1)]
    for letter, column in zip(letters, columns, strict=True):
        put_value(sheet[f"{letter}1"], column)
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet.column_dimensions[letter].width = WIDTHS.get(column, 16)
    for number, values in enumerate(rows, start=2):
        for letter, value in zip(letters, values, strict=True):
            cell = sheet[f"{letter}{number}"]
            put_value(cell, value or None)
            cell.number_format = "@"  # text: a URN or code is never a number or a date
    choices = {**CHOICES[part], "active": [YES, NO]}
    for letter, column in zip(letters, columns, strict=True):
        if column in choices:
            _drop_down(sheet, letter, column, choices[column], lists)
    sheet.freeze_panes = "A2"


def _drop_down(
    sheet: Worksheet,
    letter: str,
    column: str,
    labels: list[str],
    lists: ChoiceLists,
) -> None:
    strict = column not in OPEN_CHOICES
    check = DataValidation(
        type="list",
        # Keyed by the values, so the sheets' identical yes/no lists share one column.
        formula1=lists.source("|".join(labels), labels),
        allow_blank=True,
        showErrorMessage=strict,
        errorTitle="Not one of the choices",
        error="Choose one of the values in the drop-down list.",
        showInputMessage=not strict,
        promptTitle="Roles",
        prompt=f"Pick one role, or type several separated by '{ROLE_SEPARATOR}'.",
    )
    sheet.add_data_validation(check)
    check.add(f"{letter}2:{letter}{MAX_ROWS}")
