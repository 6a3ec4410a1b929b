"""The 7-minute briefing and learning on a page as Word documents: the same panels, words and
disclosure-controlled counts as ``report/briefing.html`` and ``report/learning_on_a_page.html``,
from the signed-off summary's figures and sections under the product's disclosure rule
(``states.services.product_counts``): pooled by section, a small count banded or merged, a
row of too few ratings withheld, exactly as the HTML and PDF show them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from docx.document import Document as DocumentObject
from docx.table import Table as Grid

from notifications.render import london_day
from notifications.reports import number
from notifications.word import Properties, heading, kicker, narrative, new_document, note, table
from notifications.word import to_bytes as saved
from notifications.word_summary import glance_rows, parties
from states.definitions.disclosure import DisclosureRule
from states.services.product_counts import Table, product_counts
from states.services.report_data import Figures

TITLES = {"briefing": "7-minute briefing", "learning_on_a_page": "Learning on a page"}
KINDS = tuple(TITLES)
QUESTIONS = (
    "How do we hear and record the child's lived experience and voice?",
    "Do we think about other children in the household?",
    "Are we timely, and do we share information with the right agencies?",
    "How do we engage families and significant adults, and consider equality, diversity and "
    "inclusion?",
    "What will we do differently after reading this briefing?",
)
WHY = (
    "Audits let the partnership see how well agencies work together to keep children safe, "
    "share what works, and change what does not. The findings were moderated before this was "
    "written."
)
WITHHELD = "too few to show"


def product_docx(
    kind: str,
    figures: Figures,
    words: Mapping[str, str],
    *,
    version: int,
    dated: datetime,
    rule: DisclosureRule,
    content_hash: str,
) -> bytes:
    """A frozen product (``content_hash``: the product's, as stored when it was made)."""
    if kind not in TITLES:
        raise ValueError(f"no Word version of {kind!r}; there is one of: {', '.join(KINDS)}")
    about = Properties(
        figures.reference, TITLES[kind].lower(), figures.type_title, version, dated, content_hash
    )
    document = new_document(about)
    build = _briefing if kind == "briefing" else _learning_on_a_page
    build(document, figures, words, version=version, dated=dated, rule=rule)
    return saved(document)


def _briefing(
    document: DocumentObject,
    figures: Figures,
    words: Mapping[str, str],
    *,
    version: int,
    dated: datetime,
    rule: DisclosureRule,
) -> None:
    kicker(document, "7-minute briefing")
    heading(document, f"7-minute briefing: {figures.theme}", 1)
    document.add_paragraph(
        f"Learning from the {figures.type_title.lower()} {figures.reference}: made "
        f"{london_day(dated)} from version {version} of the signed-off summary report",
        style="Subtitle",
    )
    heading(document, "1. Background", 2)
    document.add_paragraph(_background(figures))
    heading(document, "2. Why it matters", 2)
    document.add_paragraph(WHY)
    for index, (key, title) in enumerate(
        (
            ("working_well", "What is working well"),
            ("emerging_concerns", "Emerging concerns"),
            ("recommendations", "What needs to change"),
        ),
        start=3,
    ):
        heading(document, f"{index}. {title}", 2)
        narrative(document, words.get(key, ""))
    heading(document, "6. The picture in numbers", 2)
    _controlled(document, figures, rule)
    document.add_paragraph(
        "Each row is one section of the audit tool: how many ratings of each grade it received "
        f"from all the {parties(figures)} together. {rule_note(rule)}"
    )
    heading(document, "7. Questions for your team", 2)
    for question in QUESTIONS:
        document.add_paragraph(question, style="List Bullet")


def _background(figures: Figures) -> str:
    cases = f", auditing {number(figures.cases)} cases" if figures.cases else ""
    return (
        f"The partnership audited {figures.theme} using the {figures.tool_title}. "
        f"{number(len(figures.agencies))} {parties(figures)} took part{cases}, and "
        f"{number(figures.returns_submitted)} returns were counted."
    )


def _learning_on_a_page(
    document: DocumentObject,
    figures: Figures,
    words: Mapping[str, str],
    *,
    version: int,
    dated: datetime,
    rule: DisclosureRule,
) -> None:
    del version  # the page names its audit and day, as the HTML does
    kicker(document, "practitioner learning on a page")
    heading(document, f"Learning on a page: {figures.theme}", 1)
    document.add_paragraph(
        f"What the partnership learned from audit {figures.reference} ({london_day(dated)})",
        style="Subtitle",
    )
    table(document, "At a glance", ["Measure", "Count"], glance_rows(figures, pooled=True))
    for key, title in (
        ("working_well", "What is working well"),
        ("emerging_concerns", "What we need to do better"),
        ("recommendations", "What we are asking you to do"),
    ):
        heading(document, title, 2)
        narrative(document, words.get(key, ""))
    heading(document, "Ratings at a glance", 2)
    _controlled(document, figures, rule)
    note(document, rule_note(rule))


def rule_note(rule: DisclosureRule) -> str:
    least = rule.min_cell
    return (
        f"A count is shown exactly only when at least {least} ratings were that grade and at "
        f"least {least} were not; otherwise it reads “fewer than {least}” or “all but fewer "
        f"than {least}”, or is merged with the next grade. A row of fewer than "
        f"{rule.min_group} ratings is not shown. So no one can work out another's answers from "
        "these figures."
    )


def _controlled(document: DocumentObject, figures: Figures, rule: DisclosureRule) -> None:
    """Ratings by section as the rule lets every reader see them (the ``controlled`` macro)."""
    tables = product_counts(figures, rule).sections
    if not tables:
        note(document, "No ratings were counted.")
    elif all(found.withheld for found in tables):
        note(
            document,
            f"Too few {parties(figures)} took part to show these counts: with so few, one could "
            "work out another's answers.",
        )
    else:
        for found in tables:
            scale = f" ({', '.join(found.labels)})" if len(tables) > 1 else ""
            _counts(document, found, f"Ratings by section{scale}")


def _counts(document: DocumentObject, found: Table, caption: str) -> None:
    """One scale's rows; a merged count spans the grades it covers, a withheld row says so."""
    width = len(found.labels)
    blank = [[row.label, *[""] * (width + 1)] for row in found.rows]
    grid = table(document, caption, ["Section", *found.labels, "Total"], blank)
    for line, row in enumerate(found.rows, start=1):
        if row.shown.withheld:
            _span(grid, line, (1, width + 1), WITHHELD)
            continue
        column = 1
        for cell in row.cells:
            text = f"{cell.text} ({cell.answers})" if cell.span > 1 else cell.text
            _span(grid, line, (column, cell.span), text)
            column += cell.span
        grid.cell(line, width + 1).text = number(row.shown.out_of)


def _span(grid: Grid, line: int, columns: tuple[int, int], text: str) -> None:
    first, span = columns
    start = grid.cell(line, first)
    merged = start.merge(grid.cell(line, first + span - 1)) if span > 1 else start
    merged.text = text
