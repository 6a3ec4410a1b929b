"""Word versions from hand-made figures, opened by python-docx: the summary's sections as
Word headings, every chart a PNG with alternative text followed by the table of its counts,
every table with a marked header row; a draft marked DRAFT with no hash, a frozen report's
hash and version in its properties; the chair's words as typed; the products' counts exactly
as their disclosure rule shows them; and a name typed into one section found nowhere else in
the file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notifications.reports import SECTION_TITLES
from notifications.word import AUTHOR, MEDIA_TYPE
from notifications.word_products import WITHHELD, product_docx
from notifications.word_summary import summary_docx
from states.definitions.disclosure import DisclosureRule
from states.services.product_counts import product_counts
from states.services.report_data import Setting
from tests.support.figures import bar, s175_figures
from tests.support.reporting import NARRATIVE
from tests.support.word import (
    alt_texts,
    assert_only_under,
    body,
    cells,
    header_row_marked,
    headings,
    opened,
    parts,
    pictures,
    tables_xml,
)

DATED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
HASH = "3f" * 32
SENTINEL = "Zebedee Quartermaine"
SETTINGS = tuple(Setting(code=f"s{i}", name=f"School {i}") for i in range(8))
FIGURES = s175_figures(
    agencies=SETTINGS,
    by_section=(
        bar("leadership", "Leadership", [5, 4, 3]),
        bar("recruitment", "Safer recruitment", [11, 1, 0]),
        bar("tiny", "Online safety", [1, 1, 0]),
    ),
    by_agency=tuple(bar(s.code, s.name, [2, 1, 1]) for s in SETTINGS),
)


def _summary(words: dict[str, str] = NARRATIVE, content_hash: str | None = HASH) -> bytes:
    return summary_docx(FIGURES, words, version=2, dated=DATED, content_hash=content_hash)


def _product(kind: str, words: dict[str, str] = NARRATIVE) -> bytes:
    return product_docx(
        kind, FIGURES, words, version=2, dated=DATED, rule=DisclosureRule(), content_hash=HASH
    )


def test_the_media_type_is_words() -> None:
    assert MEDIA_TYPE == ("application/vnd.openxmlformats-officedocument.wordprocessingml.document")


def test_the_summarys_sections_are_word_headings_in_the_htmls_order() -> None:
    document = opened(_summary())
    found = headings(document)
    assert found[0] == ("Heading 1", "Summary report: Safeguarding in schools")
    level_two = [text for style, text in found if style == "Heading 2"]
    assert level_two == [
        "The audit at a glance",
        *SECTION_TITLES.values(),
        "The quantitative picture",
        "Findings agreed at moderation",
    ]
    assert ("Heading 3", "Ratings by setting") in found
    assert ("Heading 3", "Equality, equity, diversity and inclusion (EEDI)") in found


def test_every_chart_is_a_described_picture_followed_by_the_table_of_its_counts() -> None:
    data = _summary()
    blocks = body(opened(data))
    drawn = [i for i, b in enumerate(blocks) if b.kind == "picture"]
    # All ratings, ratings by section, ratings by setting: one scale each.
    assert len(drawn) == 3
    for at in drawn:
        caption, table = blocks[at + 1], blocks[at + 2]
        assert caption.style == "Caption" and caption.text.endswith(": counts")
        assert table.kind == "table" and table.text.splitlines()[0].endswith("| Total")
    by_setting = blocks[drawn[2] + 2].text.splitlines()
    assert by_setting[0] == "Setting | Green | Amber | Red | Total"
    assert by_setting[1:] == [f"School {i} | 2 | 1 | 1 | 4" for i in range(8)]
    described = alt_texts(data)
    assert len(described) == 3
    assert described[0].startswith("All ratings: a bar chart of 1 row;")
    assert described[2].startswith("Ratings by setting: a bar chart of 8 rows;")
    for image in pictures(data):
        assert image.format == "PNG" and image.width > 600
        grey = image.convert("L").histogram()
        assert sum(grey[:200]) > 2_000, "the chart has ink"


def test_every_table_has_a_marked_header_row() -> None:
    for data in (_summary(), _product("briefing"), _product("learning_on_a_page")):
        found = tables_xml(data)
        assert found and all(header_row_marked(t) for t in found)


def test_a_frozen_report_carries_its_hash_and_version_and_no_free_text() -> None:
    properties = opened(_summary()).core_properties
    assert properties.identifier == HASH
    assert properties.revision == 2
    assert properties.title == "AUD-TEST0001 summary report"
    assert properties.subject == "Section 175/157 self-assessment audit"
    assert properties.author == properties.last_modified_by == AUTHOR
    assert properties.keywords == "OSCP, summary report, version 2, frozen"
    assert properties.comments == "" and properties.created == DATED


def test_a_draft_says_draft_and_carries_no_hash() -> None:
    data = _summary(content_hash=None)
    document = opened(data)
    assert headings(document)[0] == ("Heading 1", "DRAFT: Summary report: Safeguarding in schools")
    assert [b.text for b in body(document)][3].startswith("Draft: not yet frozen for sign-off.")
    assert document.core_properties.identifier == ""
    assert document.core_properties.keywords.endswith(", draft")
    footer = document.sections[0].footer.paragraphs[0].text
    assert footer == "AUD-TEST0001 summary report, version 2, DRAFT: not yet frozen"


def test_the_chairs_words_come_out_as_typed() -> None:
    texts = [b.text for b in body(opened(_summary()))]
    assert "The voice of the child was recorded {{ 7*7 }}" in texts  # a bullet of its own
    assert "Escalate drift in plans <script>alert('x')</script>" in texts
    assert any("{% for x in range(3) %}loop{% endfor %}" in t for t in texts)
    blocks = body(opened(_summary({**NARRATIVE, "reflection": ""})))
    assert [b.text for b in blocks if b.under == "Reflection on the audit process"][1:] == [
        "Not yet written."
    ]


@pytest.mark.parametrize(
    ("kind", "heading"),
    [
        ("summary", "Emerging concerns"),
        ("briefing", "4. Emerging concerns"),
        ("learning_on_a_page", "What we need to do better"),
    ],
)
def test_a_name_typed_into_one_section_is_in_that_section_only(kind: str, heading: str) -> None:
    words = {**NARRATIVE, "emerging_concerns": f"{SENTINEL} was not seen alone.\n\n- {SENTINEL}"}
    data = _summary(words) if kind == "summary" else _product(kind, words)
    assert_only_under(data, SENTINEL, heading)


def test_the_check_finds_a_name_out_of_its_section() -> None:
    """The sentinel check itself fails when the name is also in another section or in the
    properties, so a leak cannot pass unseen."""
    words = {**NARRATIVE, "emerging_concerns": SENTINEL, "reflection": SENTINEL}
    with pytest.raises(AssertionError):
        assert_only_under(_summary(words), SENTINEL, "Emerging concerns")
    leaky = FIGURES.model_copy(update={"reference": f"AUD-{SENTINEL}"})
    data = summary_docx(
        leaky, {"emerging_concerns": SENTINEL}, version=1, dated=DATED, content_hash=None
    )
    assert SENTINEL in parts(data)["docProps/core.xml"]
    with pytest.raises(AssertionError):
        assert_only_under(data, SENTINEL, "Emerging concerns")


def test_a_products_counts_are_those_its_rule_allows() -> None:
    rule = DisclosureRule()
    allowed = product_counts(FIGURES, rule).sections
    for kind in ("briefing", "learning_on_a_page"):
        document = opened(_product(kind))
        shown = cells(document.tables[-1])
        assert shown[0] == ["Section", "Green", "Amber", "Red", "Total"]
        for row, expected in zip(shown[1:], allowed[0].rows, strict=True):
            assert row[0] == expected.label
            if expected.shown.withheld:
                # One cell spans the grades and the total: Word repeats it in each column.
                assert row[1:] == [WITHHELD] * 4
            else:
                texts = [c.text for c in expected.cells for _ in range(c.span)]
                assert [t.split(" (")[0] for t in row[1:4]] == texts
                assert row[4] == str(expected.shown.out_of)
        assert "Ratings by setting" not in [b.text for b in body(document)]
    online = cells(opened(_product("briefing")).tables[-1])[3]
    assert online == ["Online safety", WITHHELD, WITHHELD, WITHHELD, WITHHELD]


def test_the_briefings_seven_panels_and_learning_on_a_pages_four() -> None:
    briefing = [t for s, t in headings(opened(_product("briefing"))) if s == "Heading 2"]
    assert briefing == [
        "1. Background",
        "2. Why it matters",
        "3. What is working well",
        "4. Emerging concerns",
        "5. What needs to change",
        "6. The picture in numbers",
        "7. Questions for your team",
    ]
    page = opened(_product("learning_on_a_page"))
    assert headings(page)[0] == ("Heading 1", "Learning on a page: Safeguarding in schools")
    assert cells(page.tables[0]) == [
        ["Measure", "Count"],
        ["Settings taking part", "8"],
        ["Returns counted", "8"],
    ]
    assert page.core_properties.identifier == HASH
    assert page.core_properties.title == "AUD-TEST0001 learning on a page"
    with pytest.raises(ValueError, match="no Word version"):
        _product("feedback_letter")
