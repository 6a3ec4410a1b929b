"""An agency's audit lead completes and submits the e-mailed return with the keyboard alone
(issue 17 item 3), in real headless Chromium: Tab from the top of the page to every question
in turn, Space and the arrow keys to choose, typing for text, numbers and dates, Enter on
"Submit". No mouse click and no filling by script: what a keyboard user can reach is what
gets answered, so the focus order must reach every field of the form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from states.services import returns
from states.services.deps import Deps
from tests.oscp_flow.web.support import return_link
from tests.support.accessibility import assert_accessible
from tests.support.browser import browsing
from tests.support.partnership import email

pytestmark = pytest.mark.slow
# Far more than the form's stops (a rating group is one stop): a focus trap fails, not hangs.
MAX_TABS = 400
TEXT = "Policy reviewed in January; see the safeguarding policy v4."
FOCUSED = """() => {
  const e = document.activeElement;
  return {tag: e.tagName.toLowerCase(), type: e.type || "", name: e.name || "",
          value: e.value || "", checked: !!e.checked,
          text: (e.innerText || "").trim()};
}"""


def _answer(page: Page, focused: dict[str, Any]) -> None:
    """Answer the focused field as a keyboard user would."""
    kind = focused["type"] if focused["tag"] == "input" else focused["tag"]
    if kind == "radio":
        page.keyboard.press("Space")  # the group's first choice...
        page.keyboard.press("ArrowDown")  # ...then the next one: the arrows move the choice
    elif kind == "textarea":
        page.keyboard.type(TEXT)
    elif kind == "date":
        page.keyboard.type("02022026")  # day, month, year in a British browser
    elif kind == "text":
        page.keyboard.type("3")
    elif kind == "select-one":
        page.keyboard.press("ArrowDown")


def _fields(page: Page) -> set[str]:
    names = page.eval_on_selector_all("form [name^='q.']", "elements => elements.map(e => e.name)")
    return set(names)


def test_the_return_is_completed_and_submitted_with_the_keyboard_alone(
    partnership: Deps, tmp_path: Path
) -> None:
    deps = partnership
    reference, token = return_link(deps, "section_11")
    with browsing(deps, tmp_path) as (base, browser):
        page = browser.new_context(locale="en-GB").new_page()
        page.goto(f"{base}/act/{token}")
        assert_accessible(page, "the return link's page")
        wanted = _fields(page)
        assert len(wanted) > 30
        reached: list[str] = []
        for _ in range(MAX_TABS):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED)
            if focused["tag"] == "button" and focused["value"] == "submit":
                break
            if focused["name"].startswith("q.") and focused["name"] not in reached:
                reached.append(focused["name"])
                _answer(page, focused)
        else:
            pytest.fail("Tab never reached the Submit button")
        assert set(reached) == wanted, f"never reached: {sorted(wanted - set(reached))}"
        assert reached == sorted(reached, key=_in_page_order(page))  # the order read
        with page.expect_event("load"):
            page.keyboard.press("Enter")
        assert page.get_by_role("heading", name="Return submitted").is_visible()
        assert_accessible(page, "the return submitted")
    submitted = returns.read(
        deps, audit=reference, actor=email("lead.police"), agency="police", case=None
    )
    assert submitted.status == "submitted"
    assert submitted.answers["leadership_evidence"] == TEXT
    assert submitted.answers["completed_on"] == "2026-02-02"
    assert all(value for value in submitted.answers.values())


def _in_page_order(page: Page) -> Any:
    """Each field's place in the document, to check Tab went down the page in order."""
    order = page.eval_on_selector_all("form [name^='q.']", "elements => elements.map(e => e.name)")
    places = {name: order.index(name) for name in dict.fromkeys(order)}
    return lambda name: places[name]
