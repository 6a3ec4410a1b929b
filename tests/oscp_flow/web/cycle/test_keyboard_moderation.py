"""Moderation by keyboard alone, in real headless Chromium (issue 17, item 5): an auditor signs
in, narrows the findings to one section and agency, changes one rating with a rationale and
confirms another, with Tab, the arrow keys, Space, typing and Enter only; both are recorded.
The page's own order of focus is what gets them there: nothing is clicked."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from states.services import findings
from states.services.deps import Deps
from states.services.finding_views import FindingFilter, FindingView
from tests.support.browser import browsing
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords, person_name
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
RATIONALE = "Four weeks passed before the strategy discussion; that is not good practice."
# More Tab presses than the page has places to stop at: a focus that never arrives fails.
MOST_TABS = 300


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the element ``selector`` names has the focus."""
    for _ in range(MOST_TABS):
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def press_and_wait(page: Page, key: str) -> None:
    """Press ``key`` on what has the focus and wait for the page it sends the person to."""
    with page.expect_event("load"):
        page.keyboard.press(key)


def _timeliness(deps: Deps, reference: str) -> list[FindingView]:
    chosen = FindingFilter(section="timeliness", agency="police")
    return findings.list_findings(deps, audit=reference, actor=email("chair"), shown=chosen)


def test_an_auditor_moderates_by_keyboard_alone(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD, people=("auditor.one",))
    reference = drive(deps, "mace", "moderation").reference
    shown = _timeliness(deps, reference)
    rating = next(f for f in shown if f.kind == "rating")
    strength = next(f for f in shown if f.kind == "strength")
    assert rating.original_rating == "outstanding"  # the police rated every case so
    with browsing(deps, tmp_path) as (base, browser):
        page = browser.new_page()
        page.goto(f"{base}/audits/{reference}/moderation")
        tab_to(page, "#email")
        page.keyboard.type(email("auditor.one"))
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        press_and_wait(page, "Enter")
        assert page.url == f"{base}/audits/{reference}/moderation"

        tab_to(page, "#section")  # Every section, then the tool's: timeliness is the third
        for _ in range(3):
            page.keyboard.press("ArrowDown")
        tab_to(page, "#agency")  # Every agency, social care, community health, the police
        for _ in range(3):
            page.keyboard.press("ArrowDown")
        tab_to(page, "form.filters button")  # "Show these findings"
        press_and_wait(page, "Enter")
        assert "section=timeliness" in page.url and "agency=police" in page.url

        tab_to(page, f"#finding-{rating.id} summary")
        page.keyboard.press("Enter")  # opens "Give a different rating"
        page.keyboard.press("Tab")  # onto the rating as given, the one checked
        assert page.evaluate("document.activeElement.value") == "outstanding"
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")
        page.keyboard.type(RATIONALE)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == f"change-{rating.id}"
        press_and_wait(page, "Enter")
        changed = page.locator(f"#finding-{rating.id}").inner_text()
        assert "You changed this rating" in changed
        assert f"Changed to Requires improvement by {person_name('auditor.one')}" in changed

        tab_to(page, f"#confirm-{strength.id}")
        press_and_wait(page, " ")
        assert "You confirmed this finding" in page.locator(f"#finding-{strength.id}").inner_text()

    after = {f.id: f for f in _timeliness(deps, reference)}
    assert after[rating.id].moderated_rating == "requires_improvement"
    assert after[strength.id].moderated
    listed = findings.list_findings(deps, audit=reference, actor=email("auditor.one"))
    assert sum(f.moderated for f in listed) == 2
