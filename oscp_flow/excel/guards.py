"""Opening a workbook someone sent: size-checked before it is unpacked, parsed without running
anything, and any failure of the parser on untrusted bytes one sentence, never a traceback.

Returns and the directory open their files through here, each with its own limits and words.
openpyxl parses each sheet only as its rows are read, so a sheet whose XML is broken or hostile
(cut off halfway, an entity declaration, which defusedxml refuses) fails there, not when the
workbook is opened: ``parsed`` gives both places the same refusal, "not an Excel workbook".
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from defusedxml.ElementTree import iterparse
from openpyxl import Workbook, load_workbook

from oscp_flow.excel.shape import SpreadsheetRejected, file_problem

Row = TypeVar("Row")


@dataclass(frozen=True)
class Limits:
    """How much of a workbook is read, and the words a refusal uses: ``what`` the workbook
    should be ("a return"), and ``redo`` what to do instead of sending this file."""

    what: str
    redo: str
    max_bytes: int
    max_unpacked: int
    max_sheets: int

    @property
    def not_xlsx(self) -> str:
        return f"the file is not an Excel workbook (.xlsx); {self.redo}"


def check_container(data: bytes, limits: Limits) -> frozenset[str]:
    """Refuse what can be refused from the zip directory alone, before anything is unpacked;
    the names of the package's parts otherwise."""
    if len(data) > limits.max_bytes:
        raise file_problem(
            f"the file is larger than {limits.max_bytes // (1024 * 1024)} MB; {limits.redo}"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise file_problem(limits.not_xlsx) from None
    names = frozenset(e.filename for e in entries)
    if "[Content_Types].xml" not in names:  # every Office Open XML package has one
        raise file_problem(limits.not_xlsx)
    # zipfile stops at each entry's declared size, so the declared total bounds the unpacking.
    if sum(e.file_size for e in entries) > limits.max_unpacked:
        raise file_problem(
            f"the file unpacks to far more than {limits.what} needs; it was not opened"
        )
    if sum(n.startswith("xl/worksheets/") and n.endswith(".xml") for n in names) > (
        limits.max_sheets
    ):
        raise too_many_sheets(limits)
    return names


def too_many_sheets(limits: Limits) -> SpreadsheetRejected:
    return file_problem(
        f"the workbook has more than {limits.max_sheets} sheets; {limits.what} has fewer"
    )


def open_workbook(data: bytes, limits: Limits, *, formulas: bool = False) -> Workbook:
    """The workbook, read-only. With ``formulas`` a formula cell reads as its formula (to be
    refused), otherwise as the value Excel last worked out for it."""
    _no_declarations(data, check_container(data, limits), limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=not formulas)
    except Exception:  # untrusted bytes: any parser failure means the same to a person
        raise file_problem(limits.not_xlsx) from None
    if len(book.sheetnames) > limits.max_sheets:
        book.close()
        raise too_many_sheets(limits)
    return book


def _no_declarations(data: bytes, names: frozenset[str], limits: Limits) -> None:
    """Refuse a document type declaration in any XML part, whoever parses the part later.

    openpyxl reads the package's own parts (the workbook, its relationships, its properties)
    with lxml when lxml is installed, which leaves entities unexpanded rather than refusing
    them, and only its sheets with defusedxml. So each part's prolog is read here with
    defusedxml, up to its first element: a declaration anywhere gets the one refusal."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in sorted(n for n in names if n.endswith((".xml", ".rels"))):
            with archive.open(name) as part:
                try:
                    next(iterparse(part, events=("start",), forbid_dtd=True), None)
                except Exception:  # a declaration, or bytes that are not XML at all
                    raise file_problem(limits.not_xlsx) from None


def parsed(rows: Iterable[Row], limits: Limits) -> Iterator[Row]:
    """The rows as the parser yields them; its failure on untrusted bytes is a refusal."""
    parsing = iter(rows)
    while True:
        try:
            values = next(parsing)
        except StopIteration:
            return
        except Exception:  # as in open_workbook: any parser failure means the same to a person
            raise file_problem(limits.not_xlsx) from None
        yield values
