"""The moderation list's groups (section, then agency name) and where a page falls among them,
from the counts alone: no database."""

from __future__ import annotations

import pytest

from states.definitions.tool import ToolDefinition
from states.rules.catalogue import Catalogue
from states.services.finding_counts import Count
from states.services.finding_groups import Group, groups, window
from states.services.finding_views import FindingFilter

# Agency ids: two agencies share a name (one group), and sort by name, not by id or code.
NAMES = {
    1: ("police", "Police"),
    2: ("csc", "Children's Social Care"),
    3: ("police_west", "Police"),
}


@pytest.fixture(scope="module")
def tool(catalogue: Catalogue) -> ToolDefinition:
    found = catalogue.tool("mace")
    assert found is not None
    return found


def _counts() -> list[Count]:
    return [
        Count(1, "timeliness_rating", 10, 4),
        Count(1, "lived_experience_rating", 5, 5),
        Count(3, "lived_experience_gaps", 2, 0),
        Count(2, "lived_experience_rating", 7, 1),
        Count(None, None, 3, 1),  # the panel's own
    ]


def _keys(found: list[Group]) -> list[tuple[str | None, str | None, int]]:
    return [(g.section, g.agency_name, g.size) for g in found]


def test_sections_in_the_tools_order_then_agencies_by_name_then_the_panels_own(
    tool: ToolDefinition,
) -> None:
    found = groups(_counts(), tool, NAMES, FindingFilter(), None)
    assert _keys(found) == [
        ("lived_experience", "Children's Social Care", 7),
        ("lived_experience", "Police", 7),
        ("timeliness", "Police", 10),
        (None, None, 3),
    ]
    assert found[1].agency_ids == {1, 3} and found[-1].agency_ids == frozenset()


def test_filters_and_reach_narrow_the_groups_as_they_narrow_the_list(
    tool: ToolDefinition,
) -> None:
    def keys(chosen: FindingFilter, only: int | None = None) -> list[tuple[str | None, ...]]:
        return [k[:2] for k in _keys(groups(_counts(), tool, NAMES, chosen, only))]

    assert keys(FindingFilter(section="timeliness")) == [("timeliness", "Police")]
    police = [("lived_experience", "Police"), ("timeliness", "Police")]
    assert keys(FindingFilter(agency="police")) == police
    assert keys(FindingFilter(), only=3) == [("lived_experience", "Police")]
    waiting = groups(_counts(), tool, NAMES, FindingFilter(unmoderated=True), None)
    # Police's lived experience: 5 of 5 moderated, 2 of 2 waiting; a group with none left goes.
    assert _keys(waiting) == [
        ("lived_experience", "Children's Social Care", 6),
        ("lived_experience", "Police", 2),
        ("timeliness", "Police", 6),
        (None, None, 2),
    ]
    assert groups(_counts(), tool, NAMES, FindingFilter(section="eedi"), None) == []


def test_a_page_is_the_groups_it_spans_and_how_far_into_the_first_it_starts(
    tool: ToolDefinition,
) -> None:
    found = groups(_counts(), tool, NAMES, FindingFilter(), None)  # sizes 7, 7, 10, 3
    assert window(found, 0, 5) == (found[:1], 0)
    assert window(found, 5, 5) == (found[:2], 5)
    assert window(found, 7, 7) == (found[1:2], 0)
    assert window(found, 10, 50) == (found[1:], 3)
    assert window(found, 26, 50) == (found[3:], 2)
    assert window(found, 27, 50) == ([], 0)
    assert window([], 0, 50) == ([], 0)
