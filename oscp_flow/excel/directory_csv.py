"""The directory as CSV files, one per part (``agencies.csv``, ``settings.csv``, ``people.csv``,
``bodies.csv``), with the same columns as the workbook's sheets.

Read as the cases CSV is (``oscp_flow.case_file``): Excel's "CSV UTF-8" with its byte-order
mark, its plain "CSV" as Windows-1252 when the file is not UTF-8 (and the command says so),
anything else refused with the line at fault. Written as CSV UTF-8, which Excel opens as it is.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from oscp_flow.case_file import WINDOWS_1252, decode, numbered_rows
from oscp_flow.excel.directory_book import MAX_BYTES, MAX_ROWS, refused
from states.errors import InvalidInput
from states.rules.case_list import Row
from states.rules.directory import Directory, Part
from states.rules.directory_columns import COLUMNS, rows_of
from states.rules.directory_rows import PartRows
from states.rules.directory_values import FORMULA_START

SUFFIX = ".csv"
FILE_NAMES = {f"{part}{SUFFIX}": part for part in Part}
WHAT = "the directory"


@dataclass(frozen=True)
class CsvPart:
    rows: PartRows
    # Said to the person: how the file was read, when it was not UTF-8.
    note: str | None = None


def read_csv(path: Path) -> CsvPart:
    """One part from its CSV file, named for the part; ``DirectoryRejected`` says what is wrong
    with the file itself (the rows are checked by ``states.rules.directory_rows``)."""
    part = FILE_NAMES.get(path.name.lower())
    if part is None:
        raise refused(
            f"{path.name} is not one of the directory's files; name each CSV file for its part: "
            f"{', '.join(FILE_NAMES)}"
        )
    if path.stat().st_size > MAX_BYTES:
        cap = MAX_BYTES // (1024 * 1024)
        raise refused(f"{path.name} is larger than {cap} MB; a directory is far smaller")
    try:
        text, encoding, line = decode(path.name, path.read_bytes(), what=WHAT)
        rows = list(_capped(path.name, numbered_rows(path.name, text)))
    except InvalidInput as exc:
        raise refused(str(exc).rstrip(".")) from None
    note = None
    if encoding == WINDOWS_1252:
        note = f"Read {path.name} as {WINDOWS_1252}: it is not UTF-8 (from line {line})."
    return CsvPart(PartRows(part, path.name, rows), note)


def _capped(name: str, rows: Iterator[Row]) -> Iterator[Row]:
    for count, row in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise refused(f"{name} has more than {MAX_ROWS:,} rows; a directory has fewer")
        yield row


def _safe(value: str) -> str:
    """A value that a spreadsheet would run as a formula gets a leading apostrophe, as Excel
    itself writes one: an import refuses such values, so only a directory filled some other way
    can hold one, and its export must still be safe to open."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def write_csvs(directory: Directory, folder: Path) -> list[Path]:
    """Each part of ``directory`` as its CSV file in ``folder`` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, part in FILE_NAMES.items():
        path = folder / name
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(COLUMNS[part])
            writer.writerows([_safe(v) for v in row] for row in rows_of(directory, part))
        written.append(path)
    return written
