"""The tables products are made of (``states.services.product_counts``): the disclosure rule
(``tests/states/rules/test_disclosure.py``) applied to a frozen summary's figures, for
everyone and for one setting's own letter."""

from __future__ import annotations

from states.definitions.disclosure import DisclosureRule
from states.services.product_counts import Table, product_counts
from states.services.report_data import Figures, Setting, SettingRatings
from tests.support.figures import bar, s175_figures

RULE = DisclosureRule()
SETTING = Setting(code="s1", name="Setting 1")


def _figures(own: tuple[SettingRatings, ...]) -> Figures:
    """Forty settings' ratings of two sections; setting s1, in the deep dive, reads its letter."""
    return s175_figures(
        reference="AUD-SDC00002",
        agencies=(SETTING,),
        returns_submitted=40,
        deep_dive=(SETTING,),
        deep_dive_ratings=own,
        by_section=(
            bar("governance", "Governance", (20, 12, 8)),
            bar("policies", "Policies", (36, 3, 1)),
        ),
    )


def _rows(tables: tuple[Table, ...]) -> list[tuple[str, str, list[str]]]:
    return [(row.label, row.own, [c.text for c in row.cells]) for t in tables for row in t.rows]


def test_a_letter_shows_its_setting_its_own_rating_beside_the_others() -> None:
    own = SettingRatings(code="s1", by_section=(bar("governance", "Governance", (0, 0, 1)),))
    counts = product_counts(_figures((own,)), RULE, reader="s1")
    assert _rows(counts.compared) == [
        # governance: the reader's red is left out; policies: not rated, so not in the count.
        ("Governance", "Red", ["20", "12", "7"]),
        ("Policies", "Not rated", ["36", "4"]),
    ]
    merged = counts.compared[0].rows[1].cells[1]
    assert (merged.span, merged.answers) == (2, "Amber or Red")
    assert _rows(counts.sections) == [
        ("Governance", "", ["20", "12", "8"]),
        ("Policies", "", ["36", "4"]),
    ]


def test_a_letter_made_from_a_summary_that_did_not_keep_its_ratings_compares_nothing() -> None:
    counts = product_counts(_figures(()), RULE, reader="s1")
    assert all(table.withheld for table in counts.compared)
    assert not any(table.withheld for table in counts.sections)
