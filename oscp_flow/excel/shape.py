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
# One agency's workbook carries a sheet per section for each of its cases (a MACE tool has
# ten sections), so two dozen cases fit; a file with more sheets is not a return.
MAX_SHEETS = 250
MAX_ROWS = 2000
# A 5 MB file of XML can honestly unpack to ten times that; far more is a zip bomb.
MAX_UNPACKED = 60 * 1024 * 1024
ABOUT, LISTS = "About", "Lists"
# The longest case reference a sheet's name starts with, leaving room for the section.
MAX_PREFIX = 20
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


@dataclass(frozen=True)
class SheetSet:
    """The sheets of one return in a workbook: the agency's own (``case`` None) or one case's,
    each with the unique, Excel-safe title of its sheet."""

    case: str | None
    sheets: tuple[tuple[str, Section], ...]


def layout(tool: ToolDefinition, phase: str | None) -> list[tuple[str, Section]]:
    """Each section this round asks, with the unique, Excel-safe title of its sheet."""
    return list(sheet_sets(tool, phase, ())[0].sheets)


def sheet_sets(tool: ToolDefinition, phase: str | None, cases: Sequence[str]) -> list[SheetSet]:
    """One set of sheets per case, in the order given (one set for the agency when there are
    no cases). A case's sheets start with its reference, so each tab says which case it is."""
    taken = set(RESERVED_TITLES)
    sections = [s for s in tool.sections if phase is None or s.phase in (None, phase)]
    if not cases:
        titles = [_sheet_title(s.title) or s.id[:31] for s in sections]
        return [SheetSet(None, _placed(titles, sections, taken))]
    sets = []
    for k, case in enumerate(cases, start=1):
        # A reference too long to leave room for the section is named by its place instead;
        # the About sheet lists the references in that order.
        prefix = case if len(case) <= MAX_PREFIX else f"Case {k}"
        titles = [_sheet_title(f"{prefix} {n} {s.title}") for n, s in enumerate(sections, 1)]
        sets.append(SheetSet(case, _placed(titles, sections, taken)))
    return sets


def _placed(
    titles: Sequence[str], sections: Sequence[Section], taken: set[str]
) -> tuple[tuple[str, Section], ...]:
    placed = []
    for title, section in zip(titles, sections, strict=True):
        unique = _unique(title, taken)
        taken.add(unique.lower())
        placed.append((unique, section))
    return tuple(placed)


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
