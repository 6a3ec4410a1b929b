"""Reading a Word (.docx) file as its reader would: python-docx for its headings, tables,
pictures and properties, and the zip itself for every part a search could find text in."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

import docx
from docx.document import Document as DocumentObject
from docx.drawing import Drawing
from docx.table import Table
from docx.text.paragraph import Paragraph
from PIL import Image

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"


@dataclass(frozen=True)
class Block:
    """One paragraph or table of the body, under the heading it follows."""

    under: str  # the text of the nearest heading above it ("" before the first)
    kind: str  # "paragraph", "picture" or "table"
    text: str
    style: str


def opened(data: bytes) -> DocumentObject:
    assert data.startswith(b"PK"), "a .docx is a zip file"
    return docx.Document(io.BytesIO(data))


def body(document: DocumentObject) -> list[Block]:
    """The body in reading order, each block with the heading it comes under."""
    found: list[Block] = []
    under = ""
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            style = item.style.name if item.style is not None else ""
            if style.startswith("Heading"):
                under = item.text
            kind = "picture" if _has_picture(item) else "paragraph"
            found.append(Block(under, kind, item.text, style))
        else:
            found.append(Block(under, "table", _table_text(item), ""))
    return found


def _has_picture(paragraph: Paragraph) -> bool:
    return any(
        isinstance(part, Drawing) and part.has_picture
        for run in paragraph.runs
        for part in run.iter_inner_content()
    )


def _table_text(table: Table) -> str:
    return "\n".join(" | ".join(cell.text for cell in row.cells) for row in table.rows)


def headings(document: DocumentObject) -> list[tuple[str, str]]:
    return [(b.style, b.text) for b in body(document) if b.style.startswith("Heading")]


def cells(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def tables_xml(data: bytes) -> list[ElementTree.Element]:
    """The body's tables as XML, for what python-docx does not read (header rows)."""
    root = ElementTree.fromstring(parts(data)["word/document.xml"])
    return root.findall(f".//{W}tbl")


def header_row_marked(table: ElementTree.Element) -> bool:
    """The first row is marked as the table's header row (repeated, read out as headers)."""
    first = table.find(f"{W}tr")
    return first is not None and first.find(f"{W}trPr/{W}tblHeader") is not None


def alt_texts(data: bytes) -> list[str]:
    """Each picture's alternative text (wp:docPr's descr), in order."""
    root = ElementTree.fromstring(parts(data)["word/document.xml"])
    found = root.iter(f"{WP}docPr")
    return [element.get("descr", "") for element in found]


def parts(data: bytes) -> dict[str, str]:
    """Every part of the package (XML and relationships) as text; pictures as their names."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {
            name: package.read(name).decode("utf-8", "replace")
            for name in package.namelist()
            if not name.startswith("word/media/")
        }


def pictures(data: bytes) -> list[Image.Image]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = [n for n in package.namelist() if n.startswith("word/media/")]
        return [Image.open(io.BytesIO(package.read(n))) for n in names]


def assert_only_under(data: bytes, typed: str, heading: str) -> None:
    """``typed`` is in the body's paragraphs under ``heading`` and nowhere else: not in another
    section, a heading, a table, a picture's text, the properties, a header or footer, a
    relationship or a part's name."""
    found = parts(data)
    assert not any(typed in name for name in found)
    elsewhere = [name for name, text in found.items() if typed in text]
    assert elsewhere == ["word/document.xml"], elsewhere
    blocks = [b for b in body(opened(data)) if typed in b.text]
    assert blocks, f"{typed!r} is not in the document at all"
    for block in blocks:
        assert block.kind == "paragraph" and not block.style.startswith("Heading"), block
        assert block.under == heading, block
    # Every occurrence in the document's XML is one of those paragraphs' own.
    in_paragraphs = sum(b.text.count(typed) for b in blocks)
    assert found["word/document.xml"].count(typed) == in_paragraphs
