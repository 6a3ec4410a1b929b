"""Reading a cases CSV as people actually make them, before any rule is applied.

Excel's "CSV UTF-8" starts with a byte-order mark, which is read past. Its plain "CSV" is
Windows-1252 on a British machine: a file that is not UTF-8 is read as Windows-1252 only when
every byte is defined there and the result is text (no control characters), and the command
says so; anything else is refused with the line of the first byte at fault, and a file
holding binary data is refused in one sentence. The rows then go to the engine's rules
(``states.rules.case_list``), which list every problem with its line; nothing is stored from a file
with any problem.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from states.errors import InvalidInput
from states.rules.case_list import CaseCandidate, Row, read_rows

UTF8 = "UTF-8"
WINDOWS_1252 = "Windows-1252"
SAVE_AS = "save it as CSV UTF-8 and try again"
# Control bytes never found in a spreadsheet's text (tab, line ends and form feed are); they
# mean the same in UTF-8 and Windows-1252, so they are looked for before either is tried.
NOT_TEXT = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class CaseFile:
    cases: list[CaseCandidate]
    encoding: str
    # The first line that is not UTF-8, when the file was read as Windows-1252.
    first_non_utf8_line: int | None = None


def read_case_file(path: Path) -> CaseFile:
    """The cases in ``path``; ``InvalidInput`` (or ``CaseListRejected``) says what is wrong."""
    text, encoding, line = decode(path.name, path.read_bytes())
    return CaseFile(read_rows(path.name, numbered_rows(path.name, text)), encoding, line)


def decode(name: str, data: bytes, *, what: str = "the cases") -> tuple[str, str, int | None]:
    """The text, the encoding it was read in, and the first line that is not UTF-8 (if any);
    ``what`` the file should hold, for the refusal of one that is not text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InvalidInput(f"{name} is saved as UTF-16 (Unicode text); {SAVE_AS}.")
    if NOT_TEXT.search(data):
        raise InvalidInput(
            f"{name} is not a text file (it holds binary data); export {what} as CSV UTF-8."
        )
    try:
        return data.decode("utf-8-sig"), UTF8, None
    except UnicodeDecodeError as exc:
        return _windows_1252(name, data, exc)


def _windows_1252(
    name: str, data: bytes, not_utf8: UnicodeDecodeError
) -> tuple[str, str, int | None]:
    line = not_utf8.object.count(b"\n", 0, not_utf8.start) + 1
    byte = f"byte 0x{not_utf8.object[not_utf8.start]:02X}"
    if data.startswith(codecs.BOM_UTF8):
        # Marked as UTF-8 by whatever wrote it, so no other reading would be right.
        raise InvalidInput(f"{name}, line {line}: {byte} is not UTF-8; {SAVE_AS}.")
    try:
        return data.decode("cp1252"), WINDOWS_1252, line
    except UnicodeDecodeError:
        raise InvalidInput(
            f"{name}, line {line}: {byte} is neither UTF-8 nor Windows-1252 text; {SAVE_AS}."
        ) from None


def numbered_rows(name: str, text: str) -> Iterator[Row]:
    """Each row's cells with the line it starts on (a quoted value may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(
            f"{name}, line {start} cannot be read as CSV ({exc}; is a quotation mark left "
            f"open?); {SAVE_AS}."
        ) from None
