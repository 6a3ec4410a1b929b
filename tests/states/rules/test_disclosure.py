"""Statistical disclosure control as pure functions: what a product may show of a count
pooled across settings, and what a setting's own letter may show beside it.

The attacker's side (a setting that knows its own answers and reads both documents) is
modelled in tests/security/test_small_numbers.py; here each rule is pinned down on its own,
and every count vector of small groups is checked for the two promises the module makes:
every exact count shown keeps ``min_cell`` on either side, and every band stays a band. The
tables products are made of are in tests/states/services/test_product_counts.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from states.definitions.disclosure import DisclosureRule
from states.rules.disclosure import Cell, Shown, leave_out, show

RULE = DisclosureRule()


def texts(shown: Shown) -> list[str]:
    return [cell.text for cell in shown.cells]


def spans(shown: Shown) -> list[tuple[int, int]]:
    return [(cell.first, cell.last) for cell in shown.cells]


def vectors(total: int, size: int) -> Iterator[tuple[int, ...]]:
    """Every way ``total`` settings can split over ``size`` answers."""
    if size == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in vectors(total - first, size - 1):
            yield (first, *rest)


# --- the rule --------------------------------------------------------------------------------


def test_the_engine_default_is_five_settings_and_cells_of_three() -> None:
    assert (RULE.min_group, RULE.min_cell) == (5, 3)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"min_cell": 2}, "min_cell must be at least 3"),
        ({"min_cell": 4, "min_group": 6}, "min_group must be at least 7"),
        ({"min_group": 4}, "min_group must be at least 5"),
        ({"min_group": "5"}, "valid integer"),
        ({"min_cells": 3}, "Extra inputs are not permitted"),
    ],
)
def test_a_rule_too_weak_to_protect_anyone_is_refused(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        DisclosureRule.model_validate(values)


# --- what everyone is shown ------------------------------------------------------------------


def test_counts_well_inside_the_group_are_shown_exactly() -> None:
    shown = show((20, 12, 8), RULE)
    assert texts(shown) == ["20", "12", "8"]
    assert all(cell.exact for cell in shown.cells) and shown.out_of == 40


def test_one_answer_nearly_everyone_gave_is_shown_as_a_band() -> None:
    # Exact, 38 of 40 would tell every setting the other two gave one of the other answers.
    shown = show((38, 1, 1), RULE)
    assert texts(shown) == ["all but fewer than 3", "fewer than 3", "fewer than 3"]
    assert [(c.low, c.high) for c in shown.cells] == [(38, 40), (0, 2), (0, 2)]


def test_everyone_giving_one_answer_is_a_band_too() -> None:
    assert texts(show((0, 40, 0), RULE)) == ["fewer than 3", "all but fewer than 3", "fewer than 3"]


def test_a_small_count_is_merged_with_its_neighbour() -> None:
    # A red count of 1 shown as "fewer than 3" beside exact 36 and 3 would be given away by
    # the total, so red joins amber: the merged count is exact and says nothing of the split.
    shown = show((36, 3, 1), RULE)
    assert texts(shown) == ["36", "4"] and spans(shown) == [(0, 0), (1, 2)]
    assert shown.cells[1].merged and not shown.cells[0].merged


def test_small_counts_are_swept_from_the_best_answer_to_the_worst() -> None:
    assert spans(show((1, 30, 9), RULE)) == [(0, 1), (2, 2)]
    assert texts(show((1, 30, 9), RULE)) == ["31", "9"]
    assert spans(show((9, 30, 1), RULE)) == [(0, 0), (1, 2)]
    assert spans(show((1, 1, 1, 1, 36), RULE)) == [(0, 2), (3, 4)]


def test_too_few_answers_show_nothing() -> None:
    assert show((1, 1, 1), RULE).withheld
    assert show((2, 2), RULE).withheld
    assert show((), RULE).withheld
    assert not show((3, 2), RULE).withheld  # five settings: "all but fewer than 3", "fewer than 3"


def test_a_question_with_one_possible_answer_shows_nothing() -> None:
    assert show((40,), RULE).withheld  # "all 40" would pin every setting's answer


def test_counts_that_merge_into_one_are_withheld() -> None:
    # Nothing is left to show once the small counts have merged into everything.
    assert show((1, 2, 2), RULE).withheld


# --- what a setting's own letter shows beside its own answer --------------------------------


def test_the_comparison_leaves_the_reader_out() -> None:
    everyone = show((20, 12, 8), RULE)
    others = leave_out(everyone, (0, 1, 0), RULE)
    assert texts(others) == ["20", "11", "8"] and others.out_of == 39


def test_no_comparison_when_the_others_are_fewer_than_the_group() -> None:
    everyone = show((3, 2), RULE)
    assert not everyone.withheld
    assert leave_out(everyone, (1, 0), RULE).withheld  # four others


def test_a_count_that_leaving_the_reader_out_makes_small_is_shown_as_a_band() -> None:
    # Three settings rated amber, the reader among them: "2" would be a small count.
    others = leave_out(show((30, 3, 7), RULE), (0, 1, 0), RULE)
    assert texts(others) == ["30", "fewer than 3", "7"]
    # ... and one that makes a count nearly everyone's, the other way.
    others = leave_out(show((37, 3, 0, 0), RULE), (0, 1, 0, 0), RULE)
    assert texts(others)[0] == "all but fewer than 3"


def test_the_comparison_says_nothing_the_summary_does_not() -> None:
    # The letter is worked out from what everyone is shown, so two settings whose summary
    # reads the same and who gave the same answer read the same letter.
    for counts in ((36, 3, 1), (36, 4, 0), (36, 2, 2)):
        assert show(counts, RULE) == show((36, 3, 1), RULE)
        assert leave_out(show(counts, RULE), (1, 0, 0), RULE) == leave_out(
            show((36, 3, 1), RULE), (1, 0, 0), RULE
        )


def test_a_reader_who_answered_nothing_compares_with_everyone() -> None:
    everyone = show((20, 12, 8), RULE)
    assert leave_out(everyone, (0, 0, 0), RULE) == everyone


# --- wording ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        (Cell(first=0, last=0, low=7, high=7, out_of=40), "7"),
        (Cell(first=0, last=0, low=1234, high=1234, out_of=2000), "1,234"),
        (Cell(first=0, last=0, low=0, high=2, out_of=40), "fewer than 3"),
        (Cell(first=0, last=0, low=38, high=40, out_of=40), "all but fewer than 3"),
        (Cell(first=0, last=1, low=4, high=9, out_of=40), "4 to 9"),
    ],
)
def test_a_cell_says_plainly_what_it_holds(cell: Cell, text: str) -> None:
    assert cell.text == text


# --- every small group, exhaustively ---------------------------------------------------------

RULES = (DisclosureRule(), DisclosureRule(min_group=7, min_cell=4), DisclosureRule(min_group=9))
SIZES = {2: 60, 3: 45, 4: 25}  # answers on the scale -> the largest group checked


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"group{r.min_group}-cell{r.min_cell}")
@pytest.mark.parametrize("size", sorted(SIZES))
def test_what_is_shown_exactly_is_never_a_small_count(rule: DisclosureRule, size: int) -> None:
    for total in range(rule.min_group, SIZES[size] + 1):
        for counts in vectors(total, size):
            everyone = show(counts, rule)
            for reader in range(size):
                if not counts[reader]:
                    continue
                own = tuple(int(i == reader) for i in range(size))
                for shown in (everyone, leave_out(everyone, own, rule)):
                    _check_cells(shown, rule, counts)


def _check_cells(shown: Shown, rule: DisclosureRule, counts: tuple[int, ...]) -> None:
    for cell in shown.cells:
        if cell.exact:
            assert rule.min_cell <= cell.low <= shown.out_of - rule.min_cell, (counts, cell)
        else:
            assert cell.high - cell.low >= 1, (counts, cell)
    covered = [i for cell in shown.cells for i in range(cell.first, cell.last + 1)]
    assert covered in ([], list(range(len(counts)))), (counts, shown)
