"""The workbook's shape, shared by export and import so both agree where each question
lives, and the problems a workbook can have."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from states.definitions.tool import YES_NO_PARTLY, Question, Section, ToolDefinition
from states.errors import InvalidInput

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
FORMATS = {"date": "yyyy-mm-dd", "number": "General"}
# What a cell is given: never a formula, since none is ever written.
Value = str | int | float | date | None
NOT_XLSX = (
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


def file_problem(message: str) -> SpreadsheetRejected:
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


def choices(tool: ToolDefinition, q: Question) -> tuple[str, list[str]] | None:
    """The labels a drop-down offers, and a key shared by questions offering the same ones."""
    if q.type == "rating":
        return f"scale {q.scale}", [g.label for g in tool.scales[q.scale or ""].grades]
    if q.type == "yes_no_partly":
        return "yes_no_partly", [v.capitalize() for v in YES_NO_PARTLY]
    if q.type == "choice":
        return f"choice {q.id}", [o.label for o in q.options or []]
    return None
