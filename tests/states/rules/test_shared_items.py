"""Whether a record that an item was shared can be kept: a declared item, one of its
channels, and a day that has come (issue 15, item 11)."""

from __future__ import annotations

from datetime import date

from states.rules.shared_items import refusal
from tests.support.rules import CATALOGUE

PLAN = CATALOGUE.current("mace").definition.dissemination
TODAY = date(2026, 6, 10)


def test_a_declared_item_by_its_channel_today_or_earlier_is_kept() -> None:
    for day in (TODAY, date(2026, 6, 1), date(2025, 11, 3)):  # back-dating is allowed
        assert refusal(PLAN, item="briefing", channel="newsletter", on=day, today=TODAY) is None


def test_a_day_still_to_come_is_refused() -> None:
    said = refusal(PLAN, item="briefing", channel="newsletter", on=date(2026, 6, 11), today=TODAY)
    assert said is not None
    assert "The day it was shared (11 June 2026) cannot be in the future" in said


def test_a_channel_not_declared_for_the_item_is_refused() -> None:
    said = refusal(PLAN, item="website", channel="newsletter", on=TODAY, today=TODAY)
    assert said == (
        "Published on the OSCP website (website) is shared by 'partnership_website', not by "
        "'newsletter'; record the channel it went by."
    )
    # A channel the vocabulary does not know at all is refused the same way.
    assert refusal(PLAN, item="website", channel="fax", on=TODAY, today=TODAY) is not None


def test_an_item_the_type_does_not_share_is_refused() -> None:
    said = refusal(PLAN, item="podcast", channel="newsletter", on=TODAY, today=TODAY)
    assert said == (
        "This audit does not share 'podcast'; it shares 'learning_hub', 'website', "
        "'briefing' or 'learning_on_a_page'."
    )


def test_an_audit_whose_type_declared_nothing_has_nothing_to_record() -> None:
    said = refusal(None, item="briefing", channel="newsletter", on=TODAY, today=TODAY)
    assert said is not None and "nothing to record" in said
