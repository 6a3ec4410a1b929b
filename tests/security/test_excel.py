"""Finding 10 (Excel): a workbook that is broken or hostile gets the same plain refusal as any
file that is not a return, and nothing is stored; never "failed unexpectedly (ParseError)".

Each file is a real exported return with one part replaced, so it passes every check made
from the zip's directory and the hostile XML is what the reader meets: a sheet cut off
halfway, a sheet or the workbook carrying entity declarations (billion laughs, an external
entity naming a local file), and a package with no workbook in it. The hostile sheets declare
their size first, as real ones do, so opening the workbook reads no further and the entities
are met only when the answers are read.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable

import pytest

from oscp_flow import excel
from states.definitions.tool import ToolDefinition
from states.rules.catalogue import Catalogue
from states.services import queries, returns
from states.services.deps import Deps
from tests.support.driver import drive
from tests.support.partnership import email
from tests.support.workbooks import blank_return, read_back

REFUSAL = "the file is not an Excel workbook (.xlsx); export the return again and fill in that file"
LEAD = email("lead.police")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LAUGHS = "".join(
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' if n else '<!ENTITY lol0 "lol">' for n in range(10)
)
BILLION_LAUGHS = (
    f'<?xml version="1.0"?><!DOCTYPE worksheet [{LAUGHS}]>'
    f'<worksheet xmlns="{MAIN}"><dimension ref="A1:E2"/><sheetData><row r="2">'
    '<c r="C2" t="inlineStr">'
    "<is><t>&lol9;</t></is></c></row></sheetData></worksheet>"
).encode()
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/hostname">]>'
    f'<worksheet xmlns="{MAIN}"><dimension ref="A1:E2"/><sheetData><row r="2">'
    '<c r="C2" t="inlineStr">'
    "<is><t>&secret;</t></is></c></row></sheetData></worksheet>"
).encode()

FIRST_SHEET = "xl/worksheets/sheet1.xml"
Change = Callable[[str, bytes], bytes | None]  # an entry's new content; None drops it


def _tool(catalogue: Catalogue) -> ToolDefinition:
    tool = catalogue.tool("section_11")
    assert tool is not None
    return tool


def _rewritten(data: bytes, change: Change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            content = change(entry.filename, source.read(entry))
            if content is not None:
                target.writestr(entry.filename, content)
    return out.getvalue()


def _sheets(replace: Callable[[bytes], bytes]) -> Change:
    """Every question sheet replaced; the first (About) is left whole, so opening the
    workbook succeeds and the bad XML is met only when the answers are read."""

    def change(name: str, content: bytes) -> bytes:
        question_sheet = name.startswith("xl/worksheets/sheet") and name != FIRST_SHEET
        return replace(content) if question_sheet else content

    return change


def _with_dtd_in_workbook(name: str, content: bytes) -> bytes:
    if name != "xl/workbook.xml":
        return content
    return b'<!DOCTYPE workbook [<!ENTITY name "Police">]>' + content


def _without_workbook(name: str, content: bytes) -> bytes | None:
    return None if name.startswith("xl/") else content


HOSTILE: dict[str, Change] = {
    "truncated-sheet": _sheets(lambda xml: xml[: len(xml) // 2]),
    "billion-laughs": _sheets(lambda _xml: BILLION_LAUGHS),
    "external-entity": _sheets(lambda _xml: EXTERNAL_ENTITY),
    "dtd-in-workbook": _with_dtd_in_workbook,
    "no-workbook": _without_workbook,
}


@pytest.mark.parametrize("change", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_broken_or_hostile_workbook_is_refused_in_one_sentence(
    catalogue: Catalogue, change: Change
) -> None:
    tool = _tool(catalogue)
    data = _rewritten(blank_return(tool), change)
    began = time.monotonic()
    with pytest.raises(excel.SpreadsheetRejected) as rejected:
        read_back(tool, None, data)
    assert time.monotonic() - began < 5  # refused, not expanded
    assert [problem.message for problem in rejected.value.problems] == [REFUSAL]
    message = str(rejected.value)
    assert "\n" not in message and "hostname" not in message


def test_a_hostile_workbook_stores_nothing(partnership: Deps, catalogue: Catalogue) -> None:
    deps = partnership
    audit = drive(deps, "section_11", to="returns_open", theme="Hostile files").reference
    version = queries.audit_status(deps, audit=audit, as_person=LEAD).version
    exported = excel.export(deps, audit=audit, actor=LEAD, agency="police")
    for change in HOSTILE.values():
        with pytest.raises(excel.SpreadsheetRejected, match="not an Excel workbook"):
            excel.import_(
                deps, audit=audit, actor=LEAD, agency="police", data=_rewritten(exported, change)
            )
    assert returns.read(deps, audit=audit, actor=LEAD, agency="police").status == "not started"
    assert queries.audit_status(deps, audit=audit, as_person=LEAD).version == version
