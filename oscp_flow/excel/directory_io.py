"""The directory's files as a command names them: one Excel workbook, or one CSV file per part,
read into rows; and the directory written out as either, or the empty template.

Which reader applies is decided by the files' names, before any is opened: a workbook with
macros (.xlsm) or an old Excel file (.xls) is refused by its name, as a workbook and CSV files
given together are (which would be two versions of the same parts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from oscp_flow.excel.directory_book import XLSX, read_book_file, refused
from oscp_flow.excel.directory_csv import FILE_NAMES, read_csv, write_csvs
from oscp_flow.excel.directory_writer import directory_workbook
from states.errors import InvalidInput
from states.rules.directory import Directory, Part
from states.rules.directory_rows import PartRows

REFUSED_SUFFIXES = {
    ".xlsm": "a macro-enabled workbook (.xlsm); save it as an Excel Workbook (.xlsx)",
    ".xls": "an old Excel 97-2003 workbook (.xls); save it as an Excel Workbook (.xlsx)",
}


@dataclass(frozen=True)
class DirectoryFiles:
    """What the files hold, part by part, and anything to tell the person about reading them."""

    parts: list[PartRows]
    notes: list[str]

    @property
    def given(self) -> set[Part]:
        """The parts the files hold: a workbook holds them all, CSV files those named."""
        return {rows.part for rows in self.parts}


def read_files(paths: Sequence[Path]) -> DirectoryFiles:
    """The rows of one workbook or of CSV files named for their parts (or the folder an
    export wrote them to); ``DirectoryRejected`` says what is wrong with the files themselves."""
    if len(paths) == 1 and paths[0].is_dir():
        paths = _in_folder(paths[0])
    if not paths:
        raise refused("name a workbook (.xlsx) or the CSV files to import")
    for path in paths:
        why = REFUSED_SUFFIXES.get(path.suffix.lower())
        if why is not None:
            raise refused(f"{path.name} is {why}, and import that")
        if not path.is_file():
            raise refused(f"there is no file {path}")
    if any(path.suffix.lower() == XLSX for path in paths):
        if len(paths) > 1:
            raise refused("import one workbook at a time, or CSV files alone")
        return DirectoryFiles(read_book_file(paths[0]), [])
    return _csv_files(paths)


def _in_folder(folder: Path) -> list[Path]:
    found = [folder / name for name in FILE_NAMES if (folder / name).is_file()]
    if not found:
        raise refused(f"{folder} holds none of the directory's files: {', '.join(FILE_NAMES)}")
    return found


def _csv_files(paths: Sequence[Path]) -> DirectoryFiles:
    seen: dict[str, Path] = {}
    for path in paths:
        name = path.name.lower()  # read_csv refuses any name but the parts'
        if name in seen:
            raise refused(f"{seen[name]} and {path} are both {name}; import one of them")
        seen[name] = path
    read = [read_csv(path) for path in paths]
    return DirectoryFiles(
        [csv.rows for csv in read], [csv.note for csv in read if csv.note is not None]
    )


def export(directory: Directory, target: Path) -> list[Path]:
    """``directory`` as a workbook when ``target`` ends in .xlsx, otherwise as CSV files in the
    folder ``target``; the files written."""
    if target.suffix.lower() == XLSX:
        target.write_bytes(directory_workbook(directory))
        return [target]
    if target.suffix:
        raise InvalidInput(
            f"{target.name} is neither a workbook (.xlsx) nor a folder for the CSV files; "
            "name one or the other."
        )
    return write_csvs(directory, target)
