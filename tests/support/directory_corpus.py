"""Directory files for the tests, generated: one good directory of invented agencies, settings,
people and bodies (on a fictional "Eastmoor", at example.org), and a corpus of broken files,
each with the sentence its refusal must carry.

Workbooks start from the export of the good directory and break one thing each, so each
refusal is about that one thing; CSV files are written as a person's spreadsheet would.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from oscp_flow.excel.directory_book import MAX_BYTES, MAX_ROWS
from oscp_flow.excel.directory_writer import directory_workbook
from states.rules.directory import (
    AgencyEntry,
    AgencyKind,
    BodyEntry,
    BodyKind,
    Directory,
    PersonEntry,
    Phase,
    SettingEntry,
)

LEAD = "lead.em01@example.org"
GOOD = Directory(
    agencies={
        "em_council": AgencyEntry("em_council", "Eastmoor Council", AgencyKind.LOCAL_AUTHORITY),
        "em_trust": AgencyEntry("em_trust", "Eastmoor Health Trust", AgencyKind.HEALTH_TRUST),
    },
    settings={
        "140001": SettingEntry(
            "140001", "em_primary", "Eastmoor Primary", AgencyKind.SCHOOL, Phase.PRIMARY
        ),
        "2400002": SettingEntry(
            "2400002", "em_nursery", "Eastmoor Nursery", AgencyKind.EARLY_YEARS, Phase.EARLY_YEARS
        ),
    },
    people={
        LEAD: PersonEntry(LEAD, "Lead EM01", "em_primary", frozenset({"agency_lead"})),
        "hub.em02@example.org": PersonEntry(
            "hub.em02@example.org", "Hub EM02", None, frozenset({"learning_hub_member"})
        ),
        "trust.em03@example.org": PersonEntry(
            "trust.em03@example.org",
            "Lead EM03",
            "em_trust",
            frozenset({"agency_lead", "auditor"}),
        ),
    },
    bodies={
        "em_hub": BodyEntry(
            "em_hub",
            "Eastmoor learning hub",
            BodyKind.LEARNING_HUB,
            frozenset({"hub.em02@example.org", LEAD}),
        )
    },
)


@dataclass(frozen=True)
class Broken:
    """A file that must be refused, and what its refusal says (all of one problem, or its
    start). The file is made only when written, so listing the corpus costs nothing."""

    name: str
    make: Callable[[], bytes]
    says: str

    def write(self, folder: Path) -> Path:
        path = folder / self.name
        path.write_bytes(self.make())
        return path


def good_book() -> bytes:
    return directory_workbook(GOOD)


def edited(change: Callable[[Workbook], None]) -> bytes:
    """The good workbook with one change made in it."""
    book = load_workbook(io.BytesIO(good_book()))
    change(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet(book: Workbook, title: str) -> Worksheet:
    sheet = book[title]
    assert isinstance(sheet, Worksheet)
    return sheet


def _set(title: str, coordinate: str, value: str | None) -> Callable[[Workbook], None]:
    def change(book: Workbook) -> None:
        _sheet(book, title)[coordinate] = value

    return change


def _append(title: str, *values: str) -> Callable[[Workbook], None]:
    return lambda book: _sheet(book, title).append(values)


def _zip(**parts: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name.replace("__", "/"), data)
    return buffer.getvalue()


def _with_macros() -> bytes:
    """The good workbook with a VBA project inside it, as Excel saves a macro-enabled book."""
    source = zipfile.ZipFile(io.BytesIO(good_book()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            archive.writestr(item, source.read(item))
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really VBA")
    return buffer.getvalue()


def _rename(old: str, new: str) -> Callable[[Workbook], None]:
    def change(book: Workbook) -> None:
        book[old].title = new

    return change


def _remove(title: str) -> Callable[[Workbook], None]:
    def change(book: Workbook) -> None:
        book.remove(book[title])

    return change


PEOPLE_HEAD = "email,name,agency,roles,active\r\n"
KIND_LIST = "'constabulary' is not one of local_authority, police, integrated_care_board"


def corpus() -> list[Broken]:
    """At least one file for each way a directory file can be wrong."""
    return [
        Broken(
            "unknown_kind.xlsx",
            lambda: edited(_set("agencies", "C2", "constabulary")),
            f"Sheet 'agencies', row 2, column 'kind': {KIND_LIST}",
        ),
        Broken(
            "unknown_phase.xlsx",
            lambda: edited(_set("settings", "E2", "infants")),
            "Sheet 'settings', row 2, column 'phase': 'infants' is not one of nursery",
        ),
        Broken(
            "unknown_role.xlsx",
            lambda: edited(_set("people", "D2", "agency_lead; headteacher")),
            "Sheet 'people', row 2, column 'roles': 'headteacher' is not a role",
        ),
        Broken(
            "unknown_agency.xlsx",
            lambda: edited(_set("people", "C3", "em_college")),
            "Sheet 'people', row 3, column 'agency': no agency or setting has the code "
            "'em_college', in this file or in the directory",
        ),
        Broken(
            "unknown_body_kind.xlsx",
            lambda: edited(_set("bodies", "C3", "board")),
            "Sheet 'bodies', row 3, column 'body_kind': 'board' is not one of learning_hub",
        ),
        Broken(
            "duplicate_email.xlsx",
            lambda: edited(
                _append("people", "LEAD.em01@example.org", "Lead EM01 again", "", "", "yes")
            ),
            "Sheet 'people', row 5, column 'email': repeats the e-mail on Sheet 'people', row 3",
        ),
        Broken(
            "duplicate_code.xlsx",
            lambda: edited(
                _append("agencies", "em_primary", "Eastmoor Primary Trust", "other", "yes")
            ),
            "Sheet 'settings', row 2, column 'code': the code 'em_primary' is already used on "
            "Sheet 'agencies', row 4",
        ),
        Broken(
            "duplicate_urn.xlsx",
            lambda: edited(
                _append(
                    "settings", "140001", "em_high", "Eastmoor High", "school", "secondary", "yes"
                )
            ),
            "Sheet 'settings', row 4, column 'urn': repeats the URN on Sheet 'settings', row 2",
        ),
        Broken(
            "malformed_email.xlsx",
            lambda: edited(_set("people", "A4", "trust.em03.example.org")),
            "Sheet 'people', row 4, column 'email': this is not an e-mail address",
        ),
        Broken(
            "missing_urn.xlsx",
            lambda: edited(_set("settings", "A2", None)),
            "Sheet 'settings', row 2, column 'urn': a school, college or early years setting "
            "needs its URN; fill it in",
        ),
        Broken(
            "short_urn.xlsx",
            lambda: edited(_set("settings", "A2", "14001")),
            "Sheet 'settings', row 2, column 'urn': a URN is 6 or 7 digits",
        ),
        Broken(
            "school_as_agency.xlsx",
            lambda: edited(_append("agencies", "em_academy", "Eastmoor Academy", "school", "yes")),
            "Sheet 'agencies', row 4, column 'kind': a school is a setting: put it on the "
            "settings sheet with its URN",
        ),
        Broken(
            "missing_column.xlsx",
            lambda: edited(_set("agencies", "C1", None)),
            "Sheet 'agencies', row 1, column 'kind': this column is missing; the columns are "
            "code, name, kind, active",
        ),
        Broken(
            "extra_column.xlsx",
            lambda: edited(_set("people", "F1", "phone")),
            "Sheet 'people', row 1, column 'phone': this sheet has no such column",
        ),
        Broken(
            "member_not_a_person.xlsx",
            lambda: edited(
                _append(
                    "bodies",
                    "em_hub",
                    "Eastmoor learning hub",
                    "learning_hub",
                    "nobody.em09@example.org",
                    "yes",
                )
            ),
            "Sheet 'bodies', row 4, column 'member_email': this member is not a person",
        ),
        Broken(
            "wrong_sheet_name.xlsx",
            lambda: edited(_rename("people", "staff")),
            "the workbook's sheets must be named exactly agencies, settings, people, bodies",
        ),
        Broken(
            "missing_sheet.xlsx",
            lambda: edited(_remove("bodies")),
            "the workbook's sheets must be named exactly agencies, settings, people, bodies",
        ),
        Broken(
            "formula.xlsx",
            lambda: edited(_set("agencies", "B3", '=CONCAT("Eastmoor", " Trust")')),
            "Sheet 'agencies', row 3, column 'B': holds a formula; type the value itself",
        ),
        Broken(
            "too_many_rows.xlsx",
            lambda: edited(_set("people", f"A{MAX_ROWS + 1}", "late.em04@example.org")),
            f"Sheet 'people' has more than {MAX_ROWS:,} rows; a directory has fewer",
        ),
        Broken(
            "huge.xlsx",
            lambda: b"PK" + b"\0" * MAX_BYTES,
            "huge.xlsx is larger than 10 MB; a directory is far smaller",
        ),
        Broken(
            "corrupt.xlsx",
            lambda: good_book()[:2000],
            "the file is not an Excel workbook (.xlsx)",
        ),
        Broken(
            "word_document.xlsx",
            lambda: _zip(**{"[Content_Types].xml": b"<Types/>", "word__document.xml": b"<w/>"}),
            "the file is not an Excel workbook (.xlsx)",
        ),
        Broken(
            "macros.xlsm",
            _with_macros,
            "macros.xlsm is a macro-enabled workbook (.xlsm); save it as an Excel Workbook",
        ),
        Broken(
            "hidden_macros.xlsx",
            _with_macros,
            "the workbook holds macros; save it as an Excel Workbook (.xlsx)",
        ),
        Broken(
            "people.csv",
            (
                PEOPLE_HEAD + f"{LEAD},Lead EM01,em_primary,agency_lead,yes\r\n"
                "p.em05@example.org,P EM05,em_primary,governor,yes\r\n"
            ).encode,
            "people.csv, row 3, column 'roles': 'governor' is not a role",
        ),
        Broken(
            "staff.csv",
            PEOPLE_HEAD.encode,
            "staff.csv is not one of the directory's files; name each CSV file for its part: "
            "agencies.csv, settings.csv, people.csv, bodies.csv",
        ),
        Broken(
            "agencies.csv",
            lambda: b"code,name,kind\r\n\x00\x01\x02binary",
            "agencies.csv is not a text file (it holds binary data); export the directory as "
            "CSV UTF-8",
        ),
    ]
