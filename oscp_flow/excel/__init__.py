"""An agency's return as an Excel workbook (one set of sheets per case on a per-case audit):
exported to fill in offline, read back and checked.

Agencies fill returns in Excel and send them by e-mail, so the workbook is untrusted both
ways. Going out, every value is written as data, never as a formula, and the workbook is
stamped with the audit, agency and cases it is for. Coming back, the file is size-checked
before it is unpacked, read without running anything, refused whole if it is another return
than the one being imported, and every problem in it is listed against its cell; answers are
stored only when the whole file is clean, by the same service calls (and so the same access
rules) as the web form.
"""

from oscp_flow.excel.reader import read_return
from oscp_flow.excel.service import export, import_
from oscp_flow.excel.shape import (
    ABOUT,
    HEADER,
    LISTS,
    MAX_BYTES,
    MAX_ROWS,
    MAX_SHEETS,
    CellProblem,
    SpreadsheetRejected,
    layout,
    sheet_sets,
)
from oscp_flow.excel.stamp import Expected, Stamp, WorkbookMismatch
from oscp_flow.excel.writer import export_return

__all__ = [
    "ABOUT",
    "HEADER",
    "LISTS",
    "MAX_BYTES",
    "MAX_ROWS",
    "MAX_SHEETS",
    "CellProblem",
    "Expected",
    "SpreadsheetRejected",
    "Stamp",
    "WorkbookMismatch",
    "export",
    "export_return",
    "import_",
    "layout",
    "read_return",
    "sheet_sets",
]
