"""The rules of a cases list: which columns, what a row must hold, what a reference may be.

A case is known only by a pseudonymous reference from the agency's case system, so anything
that looks like a person's name is refused, and no refusal repeats what a cell held. Every
row is checked before anything is stored, and every problem is reported at once with its
line, so a person fixes the file in one go rather than one error per attempt.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from states.errors import CaseListRejected, RowProblem

COLUMNS = ("reference", "agencies", "first_intervention_on", "last_intervention_on")
REFERENCE_RULE = "a pseudonymous code of up to 40 letters, digits and hyphens"
# Characters a name carries and a case system's code does not.
NAME_MARKS = frozenset(" ',.\u2019")  # the last is the typographic apostrophe
# date.fromisoformat also takes 20260131 and week dates; a cases list uses one form.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class CaseCandidate:
    """A case offered for sampling: a pseudonymous reference, never a name."""

    reference: str
    agencies: tuple[str, ...] = ()
    first_intervention_on: date | None = None
    last_intervention_on: date | None = None


def reference_problem(reference: str) -> str | None:
    """Why ``reference`` is not a case reference, or None when it is one."""
    if not reference:
        return "the reference is empty; give the case system's pseudonymous code"
    if looks_like_name(reference):
        return "the reference looks like a name; give the case system's pseudonymous code"
    if len(reference) > 40 or not reference.replace("-", "").isalnum():
        return f"a case reference is {REFERENCE_RULE}"
    return None


def looks_like_name(text: str) -> bool:
    """No digit, and written as a name is (lower-case letters, spaces, apostrophes): codes from
    case systems carry digits, or at least are upper-case words such as CASE-OLD."""
    if any(ch.isdigit() for ch in text) or not any(ch.isalpha() for ch in text):
        return False
    return any(ch.islower() for ch in text) or any(ch in NAME_MARKS for ch in text)


Row = tuple[int, Sequence[str]]


def read_rows(name: str, rows: Iterable[Row]) -> list[CaseCandidate]:
    """The cases in ``rows`` (line number, cells), the first being the header.

    Raises ``CaseListRejected`` naming every problem with its lines; blank rows are skipped.
    """
    return [case for _, case in read_lines(name, rows)]


def read_lines(name: str, rows: Iterable[Row]) -> list[tuple[int, CaseCandidate]]:
    """As ``read_rows``, each case with the line it was read from (to show beside it)."""
    found = iter(rows)
    header = next(found, None)
    if header is None:
        raise CaseListRejected(name, [RowProblem(1, "the file is empty")])
    positions = _positions(name, header)
    width = len(header[1])
    cases: list[tuple[int, CaseCandidate]] = []
    problems: list[RowProblem] = []
    first_seen: dict[str, int] = {}
    for line, cells in _not_blank(found):
        case, wrong = _check_row(cells, positions, width)
        earlier = None if case is None else first_seen.get(case.reference)
        if earlier is not None:
            case, wrong = None, [f"repeats the reference on line {earlier}"]
        problems.extend(RowProblem(line, message) for message in wrong)
        if case is not None:
            first_seen[case.reference] = line
            cases.append((line, case))
    if problems:
        raise CaseListRejected(name, problems)
    return cases


def _positions(name: str, header: Row) -> dict[str, int]:
    line, cells = header
    names = [cell.strip().lower() for cell in cells]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        hint = ", separated by commas" if len(names) == 1 and ";" in names[0] else ""
        problem = f"the first line names the columns {', '.join(COLUMNS)}{hint}"
        raise CaseListRejected(name, [RowProblem(line, problem)])
    return {column: names.index(column) for column in COLUMNS}


def _not_blank(rows: Iterator[Row]) -> Iterator[Row]:
    """Spreadsheets leave rows of empty cells at the end; they are not cases."""
    return ((line, cells) for line, cells in rows if any(cell.strip() for cell in cells))


def _check_row(
    cells: Sequence[str], positions: dict[str, int], width: int
) -> tuple[CaseCandidate | None, list[str]]:
    """The row's case, or None and every problem with it."""
    if len(cells) < width:
        return None, [f"has {len(cells)} of the {width} columns; leave a cell empty, not out"]
    if any(cell.strip() for cell in cells[width:]):
        return None, [
            f"has more values than the {width} columns; put a value holding a comma in quotes"
        ]
    case, problems = _check_cells(*(cells[positions[column]] for column in COLUMNS))
    return case, list(dict.fromkeys(problems.values()))


def typed_case(
    reference: str, agencies: str, first: str, last: str
) -> tuple[CaseCandidate | None, dict[str, str]]:
    """One case typed into a form's fields rather than read from a file's row, by the same
    rules: the case, or None and a sentence for each field at fault (by its column's name)."""
    case, problems = _check_cells(reference, agencies, first, last)
    return case, {column: f"{p[0].upper()}{p[1:]}." for column, p in problems.items()}


def _check_cells(
    reference: str, agencies: str, first: str, last: str
) -> tuple[CaseCandidate | None, dict[str, str]]:
    """The case in one row's cells, or None and each column's problem."""
    problems: dict[str, str] = {}
    reference = reference.strip()
    wrong = reference_problem(reference)
    if wrong is not None:
        problems["reference"] = wrong
    first_on = _date(first, problems, "first_intervention_on")
    last_on = _date(last, problems, "last_intervention_on")
    if first_on and last_on and first_on > last_on:
        problems["last_intervention_on"] = "the first intervention is after the last"
    codes = tuple(dict.fromkeys(code.strip() for code in agencies.split(";") if code.strip()))
    if problems:
        return None, problems
    return CaseCandidate(reference, codes, first_on, last_on), {}


def _date(text: str, problems: dict[str, str], column: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    if ISO_DATE.fullmatch(text):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(text)
    problems[column] = "dates are written YYYY-MM-DD, such as 2026-01-31"
    return None
