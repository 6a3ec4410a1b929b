"""What a return workbook says it is: the audit, the agency and the cases it was exported for.

The export writes them on the About sheet; the import reads them back before any answer and
refuses a workbook that is not the return being imported (another audit, another agency,
another case than ``--case`` names, a case the importer may not fill in), so answers exported
for one case can never be stored against another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from oscp_flow.excel.guards import Limits, parsed
from oscp_flow.excel.shape import ABOUT, file_problem
from states.errors import InvalidInput

AUDIT, AGENCY, CASES = "Audit reference", "Agency code", "Case references"
# The About sheet holds a dozen rows; reading stops well past them.
ABOUT_ROWS = 100
EXPORT_AGAIN = "export the return again and copy your answers into that file"


@dataclass(frozen=True)
class Stamp:
    """The return a workbook was exported for; ``cases`` is empty for an agency's own return."""

    audit: str
    agency: str
    cases: tuple[str, ...] = ()

    def rows(self) -> list[tuple[str, str]]:
        """The About sheet's rows that say it (one case reference a line)."""
        rows = [(AUDIT, self.audit), (AGENCY, self.agency)]
        return rows + ([(CASES, "\n".join(self.cases))] if self.cases else [])


@dataclass(frozen=True)
class Expected:
    """What the import is for: the audit, the agency, the cases the importer may fill in (in
    order, none on a tool completed per agency) and the one case ``--case`` names, if any."""

    audit: str
    agency: str
    cases: tuple[str, ...] = ()
    case: str | None = None


class WorkbookMismatch(InvalidInput):
    """A workbook is another return than the one being imported; nothing from it was stored."""


def read_stamp(book: Workbook, limits: Limits) -> Stamp:
    """The stamp on the About sheet; a workbook without one (exported before workbooks carried
    it, or not exported here at all) is refused, since nothing says whose answers it holds."""
    sheet = book[ABOUT] if ABOUT in book.sheetnames else None
    said: dict[str, str] = {}
    if isinstance(sheet, ReadOnlyWorksheet):
        rows = sheet.iter_rows(max_row=ABOUT_ROWS, max_col=2, values_only=True)
        for label, value in parsed(rows, limits):
            if isinstance(label, str) and value is not None:
                said.setdefault(label.strip(), str(value).strip())
    if not said.get(AUDIT) or not said.get(AGENCY):
        raise file_problem(
            "the workbook does not say which audit, agency and case it is for (it was "
            f"exported before returns carried that, or not by this system); {EXPORT_AGAIN}"
        )
    cases = tuple(line.strip() for line in said.get(CASES, "").splitlines() if line.strip())
    return Stamp(said[AUDIT], said[AGENCY], cases)


def check(stamp: Stamp, expected: Expected, *, per_case: bool) -> None:
    """Refuse, in one sentence, a workbook that is not the return being imported."""
    for problem in (_audit, _agency, _shape, _named, _allowed):
        sentence = problem(stamp, expected, per_case)
        if sentence is not None:
            raise WorkbookMismatch(sentence)


def _audit(stamp: Stamp, expected: Expected, _per_case: bool) -> str | None:
    if stamp.audit == expected.audit:
        return None
    return (
        f"The workbook is a return for audit {stamp.audit}, not {expected.audit}; import it "
        f"into audit {stamp.audit}, or export the return for {expected.audit} and fill that in."
    )


def _agency(stamp: Stamp, expected: Expected, _per_case: bool) -> str | None:
    if stamp.agency == expected.agency:
        return None
    return (
        f"The workbook is agency {stamp.agency}'s return, not {expected.agency}'s; only "
        f"{stamp.agency}'s lead or the coordinator can import it, as {stamp.agency}, or export "
        f"{expected.agency}'s return and fill that in."
    )


def _shape(stamp: Stamp, expected: Expected, per_case: bool) -> str | None:
    if bool(stamp.cases) == per_case and len(set(stamp.cases)) == len(stamp.cases):
        return None
    return (
        f"The workbook's cases do not fit audit {expected.audit}, whose returns are made "
        f"{'per case' if per_case else 'per agency'}; {EXPORT_AGAIN}."
    )


def _named(stamp: Stamp, expected: Expected, _per_case: bool) -> str | None:
    if expected.case is None or stamp.cases == (expected.case,):
        return None
    return (
        f"The workbook holds {_returns_for(stamp.cases)}, not case {expected.case}; "
        f"import it without --case, or export case {expected.case}'s return "
        f"(--case {expected.case}) and fill that in."
    )


def _allowed(stamp: Stamp, expected: Expected, _per_case: bool) -> str | None:
    strangers = [case for case in stamp.cases if case not in expected.cases]
    if not strangers:
        return None
    return (
        f"The workbook holds {_returns_for(strangers)}, not among the cases of "
        f"{expected.agency} on audit {expected.audit} whose returns you can fill in; export "
        "the return again and fill in that file."
    )


def _returns_for(cases: Sequence[str]) -> str:
    if len(cases) == 1:
        return f"the return for case {cases[0]}"
    return f"the returns for cases {', '.join(cases)}"
