"""The summary report of a 1,000-case MACE as a Word document, against a blank document of the
same shape built by python-docx in the same run.

Run: ``.venv/bin/python -m bench.report_word [--cases N] [--rounds R]``

Data: as ``bench.report`` (the 1,000-case MACE of ``bench.aggregation`` with the chair's four
sections), on a temporary SQLite file.

Timed, rounds alternating and the best of each kept:

- Word, report: ``summary_docx`` from the report's figures (read once, before timing: the
  HTML benchmark times reading them), which draws each chart with matplotlib and lays out
  headings, paragraphs and tables.
- Word, blank: the same document's shape built by python-docx with no data work and no
  drawing: as many paragraphs of as many "x" characters, the same tables with every cell
  "x", and the report's own PNG images placed again.

ratio = blank time / report time: 1.0 would mean the report costs no more than python-docx
writing that much; what is left is the charts' drawing and the figures' formatting.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Iterator

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Inches
from docx.table import Table
from docx.text.paragraph import Paragraph

from bench.report import best, built
from notifications.word_summary import summary_docx
from states.services import reports

IMAGE_WIDTH = Inches(6.3)


def blank_builder(docx: bytes) -> tuple[list[object], dict[str, int]]:
    """The document's blocks in order (a paragraph's length, a table's rows and columns, an
    image's bytes), and how many of each, read back from the report's own file."""
    made = Document(io.BytesIO(docx))
    images = {
        rel.rId: rel.target_part.blob for rel in made.part.rels.values() if "image" in rel.reltype
    }
    blocks: list[object] = []
    counts = {"paragraphs": 0, "tables": 0, "images": 0}
    for element, block in _blocks(made):
        if isinstance(block, Table):
            blocks.append((len(block.rows), len(block.columns)))
            counts["tables"] += 1
            continue
        blips = element.xpath(".//a:blip/@r:embed")  # python-docx's own oxml element
        if blips:
            blocks.append(images[blips[0]])
            counts["images"] += 1
        else:
            blocks.append(len(block.text))
            counts["paragraphs"] += 1
    return blocks, counts


def _blocks(document: DocumentObject) -> Iterator[tuple[BaseOxmlElement, Paragraph | Table]]:
    """The body's paragraphs and tables in order, each with its XML element."""
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            yield child, Paragraph(child, document)
        elif child.tag == qn("w:tbl"):
            yield child, Table(child, document)


def build_blank(blocks: list[object]) -> bytes:
    document = Document()
    for block in blocks:
        if isinstance(block, bytes):
            document.add_picture(io.BytesIO(block), width=IMAGE_WIDTH)
        elif isinstance(block, tuple):
            rows, columns = block
            table = document.add_table(rows=rows, cols=columns)
            for row in table.rows:
                for cell in row.cells:
                    cell.text = "x"
        else:
            document.add_paragraph("x" * int(str(block)))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def run(args: argparse.Namespace) -> None:
    print(f"Summary report as Word (SQLite, temporary file); best of {args.rounds}")
    with built(args.cases) as (deps, reference):
        source = reports.summary_source(deps, audit=reference)

        def report() -> bytes:
            return summary_docx(
                source.figures,
                source.narrative,
                version=source.version,
                dated=deps.clock.now(),
                content_hash=None,
            )

        made = report()
        blocks, counts = blank_builder(made)
        print(f"  Word: {len(made):,} bytes; {counts}")
        engine, plain = best(args.rounds, report, lambda: build_blank(blocks))
        print(f"  Word: report {engine * 1e3:.0f} ms, blank of the same shape {plain * 1e3:.0f} ms")
        print("output: docx")
        print(f"ratio: {plain / engine:.2f}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=1000, help="MACE cases sampled")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best counts")
    return parser.parse_args()


def main() -> None:
    run(arguments())


if __name__ == "__main__":
    main()
