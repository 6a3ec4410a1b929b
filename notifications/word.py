"""Word (.docx) versions of the reports: the pieces every one is built from.

A Word version is built with python-docx from the same data the HTML templates are given (the
figures, the chair's sections split by ``reports.blocks``, a product's disclosure-controlled
counts), never by converting the HTML. Headings use Word's own Heading 1-3 styles, so its
navigation pane lists them; figures are tables with a header row marked as one (repeated on
each page, read as headers by screen readers); charts are PNG images with alternative text,
each followed by the table of its counts.

What a person typed appears only in the section it was typed for: the document's properties,
its footer and the file name carry the audit's reference, the kind of report, its version and
for a frozen report its SHA-256 content hash (``core_properties.identifier``, with the
version in ``core_properties.revision``), never a theme, a name or any free text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.shared import Inches
from docx.table import Table
from docx.text.paragraph import Paragraph

from notifications.charts import shapes
from notifications.reports import blocks, number
from notifications.word_charts import chart_images
from states.services.report_data import Bar

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The partnership's learning hub, as every report's cover names it: never a person.
AUTHOR = "Oldham Safeguarding Children Partnership learning hub"
KICKER = "Oldham Safeguarding Children Partnership · "
CHART_WIDTH = Inches(6.3)
TABLE_STYLE = "Table Grid"
NOT_WRITTEN = "Not yet written."


@dataclass(frozen=True)
class Properties:
    """What the file says about itself: fixed words, the reference, the version and hash."""

    reference: str
    kind: str  # "summary report", "7-minute briefing", ...
    subject: str  # the audit type's title, from its definition
    version: int
    dated: datetime
    content_hash: str | None  # a frozen report's; None for a draft

    @property
    def title(self) -> str:
        return f"{self.reference} {self.kind}"

    @property
    def state(self) -> str:
        return "draft" if self.content_hash is None else "frozen"


def new_document(about: Properties) -> DocumentObject:
    """An empty document with its properties and a footer naming the report and version."""
    document = Document()
    core = document.core_properties
    core.title = about.title
    core.subject = about.subject
    core.author = core.last_modified_by = AUTHOR
    core.category = about.kind
    core.comments = ""
    core.keywords = f"OSCP, {about.kind}, version {about.version}, {about.state}"
    core.identifier = about.content_hash or ""
    core.revision = about.version
    core.language = "en-GB"
    core.created = core.modified = about.dated
    draft = ", DRAFT: not yet frozen" if about.content_hash is None else ""
    footer = document.sections[0].footer.paragraphs[0]
    footer.text = f"{about.title}, version {about.version}{draft}"
    return document


def to_bytes(document: DocumentObject) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def heading(document: DocumentObject, text: str, level: int) -> None:
    document.add_heading(text, level=level)


def kicker(document: DocumentObject, text: str) -> None:
    document.add_paragraph(KICKER + text, style="Subtitle")


def note(document: DocumentObject, text: str) -> Paragraph:
    paragraph = document.add_paragraph()
    paragraph.add_run(text).italic = True
    return paragraph


def facts(document: DocumentObject, pairs: Sequence[tuple[str, str]]) -> None:
    """Label and value, one a line (the HTML's definition list)."""
    for label, value in pairs:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(value)


def narrative(document: DocumentObject, text: str) -> None:
    """A person's text as paragraphs and bulleted lists: plain runs, never fields or markup,
    so whatever was typed reads as typed."""
    if not text.strip():
        note(document, NOT_WRITTEN)
        return
    for kind, lines in blocks(text):
        if kind == "list":
            for line in lines:
                document.add_paragraph(line, style="List Bullet")
            continue
        paragraph = document.add_paragraph()
        for index, line in enumerate(lines):
            run = paragraph.add_run(line)
            if index < len(lines) - 1:
                run.add_break()


def table(
    document: DocumentObject, caption: str, header: Sequence[str], rows: Sequence[Sequence[str]]
) -> Table:
    """A captioned table, its first row the header; each row's first cell names it."""
    document.add_paragraph(caption, style="Caption")
    found: Table = document.add_table(rows=1 + len(rows), cols=len(header))
    found.style = TABLE_STYLE
    for cell, text in zip(found.rows[0].cells, header, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
    for row, values in zip(found.rows[1:], rows, strict=True):
        for cell, text in zip(row.cells, values, strict=True):
            cell.text = text
    _mark_header(document)
    return found


def _mark_header(document: DocumentObject) -> None:
    """The newest table's first row as its header row (w:tblHeader): python-docx offers no
    property for it, so it is set on the XML the document part exposes."""
    (row,) = document.part.element.xpath("(//w:tbl)[last()]/w:tr[1]")
    properties = row.get_or_add_trPr()
    properties.append(properties.makeelement(qn("w:tblHeader"), {}))


def chart_then_table(document: DocumentObject, bars: Sequence[Bar], title: str, keyed: str) -> None:
    """Charts of ``bars`` (one per scale and page-sized group), then each scale's counts as a
    table, as the HTML's ``distribution`` macro lays them out."""
    if not bars:
        note(document, "No ratings were counted.")
        return
    for chart in chart_images(bars, title):
        document.add_picture(io.BytesIO(chart.png), width=CHART_WIDTH)
        _describe(document, _alt_text(chart.title, chart.rows))
    groups = shapes(bars)
    for group in groups:
        labels = group[0].labels
        scale = f" ({', '.join(labels)})" if len(groups) > 1 else ""
        rows = [[bar.label, *(number(n) for n in bar.counts), number(bar.total)] for bar in group]
        table(document, f"{title}: counts{scale}", [keyed, *labels, "Total"], rows)


def _alt_text(title: str, rows: Sequence[Bar]) -> str:
    return (
        f"{title}: a bar chart of {len(rows)} row{'' if len(rows) == 1 else 's'}; "
        "the table below gives its counts."
    )


def _describe(document: DocumentObject, text: str) -> None:
    """Alternative text for the picture just added (wp:docPr's descr, which Word reads out):
    python-docx's add_picture leaves it empty and offers no property for it."""
    (drawing,) = document.part.element.xpath("(//wp:docPr)[last()]")
    drawing.set("descr", text)
