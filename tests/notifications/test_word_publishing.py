"""Word versions of a driven MACE (SQLite and PostgreSQL): the draft as it stands (DRAFT, no
hash), the report frozen as it went for sign-off (its stored content hash and version in the
file's properties, the same document whenever it is read), and the briefing and learning on a
page as made (the product's hash), every table's counts the ones its HTML shows. Every
agency's free text names a made-up child, which no Word file shows; a name the chair typed
into one section is in that section only."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from notifications.publishing import (
    current_summary,
    current_summary_docx,
    frozen_docx,
    make_products,
    product_docx,
)
from states.clock import FakeClock
from states.services import report_store
from states.services.deps import Deps
from tests.support.partnership import email
from tests.support.reporting import NARRATIVE, PLANTED, SENTINELS, drafting, write_narrative
from tests.support.word import assert_only_under, body, cells, headings, opened, parts

TYPED = "Zebedee Quartermaine"
WORDS = {**NARRATIVE, "emerging_concerns": f"{TYPED} was not seen on his own at home."}


def _nowhere(data: bytes) -> None:
    """No sentinel from a return reaches any part of the file."""
    found = parts(data)
    assert not any(s in text for s in SENTINELS for text in found.values())


def _tables_in_html(data: bytes, page: str) -> None:
    """Every count and label of every table is one the HTML shows: the same data (the
    glance's tiles become a table headed "Measure" and "Count")."""
    shown = html.unescape(page).lower()
    for table in opened(data).tables:
        for row in cells(table):
            for text in row:
                if text not in ("Measure", "Count"):
                    assert text.split(" (")[0].lower() in shown, text


def test_the_draft_then_the_frozen_report(partnership: Deps, clock: FakeClock) -> None:
    driver = drafting(partnership, "mace", cast=PLANTED)
    write_narrative(partnership, driver.reference, WORDS)
    draft = current_summary_docx(partnership, audit=driver.reference)
    assert not draft.frozen and draft.version == 1
    document = opened(draft.docx)
    assert headings(document)[0] == ("Heading 1", "DRAFT: Summary report: Domestic abuse")
    assert document.core_properties.identifier == ""
    assert_only_under(draft.docx, TYPED, "Emerging concerns")
    _nowhere(draft.docx)
    _tables_in_html(draft.docx, current_summary(partnership, audit=driver.reference).html)

    driver.advance("awaiting_sign_off")  # submitting froze it
    frozen = report_store.latest(partnership, audit=driver.reference)
    assert frozen is not None and frozen.intact and frozen.content_hash
    word = current_summary_docx(partnership, audit=driver.reference)
    assert word.frozen and word.version == frozen.version
    properties = opened(word.docx).core_properties
    assert properties.identifier == frozen.content_hash
    assert properties.revision == frozen.version
    assert properties.created == frozen.frozen_at
    assert headings(opened(word.docx))[0] == ("Heading 1", "Summary report: Domestic abuse")
    assert_only_under(word.docx, TYPED, "Emerging concerns")
    _nowhere(word.docx)

    clock.advance(timedelta(days=3))  # read later: the same document, dated when frozen
    later = frozen_docx(frozen)
    assert [b.text for b in body(opened(later))] == [b.text for b in body(opened(word.docx))]
    assert opened(later).core_properties.identifier == frozen.content_hash


@pytest.mark.slow
def test_the_products_as_made(partnership: Deps) -> None:
    driver = drafting(partnership, "mace", cast=PLANTED)
    write_narrative(partnership, driver.reference, WORDS)
    driver.advance("dissemination")
    made = make_products(partnership, audit=driver.reference, actor=email("coordinator"))
    sections = {
        "briefing": "4. Emerging concerns",
        "learning_on_a_page": "What we need to do better",
    }
    for product in made:
        data = product_docx(partnership, product)
        document = opened(data)
        assert document.core_properties.identifier == product.content_hash
        assert document.core_properties.revision == product.version
        assert product.html is not None
        _tables_in_html(data, product.html)
        assert "Ratings by agency" not in [b.text for b in body(document)]
        assert_only_under(data, TYPED, sections[product.kind])
        _nowhere(data)
