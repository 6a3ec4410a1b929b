"""The deep-dive page in real headless Chromium, driven by labels and buttons as a coordinator
would: every state it can show (before the deep dive, nothing chosen, each refusal, chosen by
hand, drawn by the rule) reports no axe-core violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from states.services.deps import Deps
from tests.support.accessibility import AxeWalk
from tests.support.browser import browsing, follow, sign_in
from tests.support.driver import Driver, drive
from tests.support.partnership import agency_name, give_passwords
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
POLICE, CSC = agency_name("police"), agency_name("csc")


def _take(page: Page) -> None:
    follow(page, page.get_by_role("button", name="Take these settings"))


def _draw(page: Page) -> None:
    follow(page, page.get_by_role("button", name="Draw the sample"))


def test_every_state_of_the_deep_dive_page(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD)
    reference = drive(deps, "section_175", "deep_dive").reference
    planned = Driver.start(deps, "section_175").reference
    axe = AxeWalk()
    with browsing(deps, tmp_path) as (base, browser):
        page = browser.new_page()
        sign_in(page, f"{base}/audits/{reference}/deep-dive")
        assert page.get_by_role("heading", name=f"Deep dive on audit {reference}").is_visible()
        axe.check(page, "nothing chosen")

        _take(page)
        assert page.locator(".error-summary").is_visible()
        assert "Name at least one setting" in page.locator("#settings-error").inner_text()
        axe.check(page, "nothing ticked")

        page.get_by_label(POLICE).check()
        _take(page)
        assert page.locator("#done").is_visible()
        axe.check(page, "chosen by hand")

        page.get_by_label(CSC).check()
        _take(page)
        assert "say why it is being replaced" in page.locator("#settings-error").inner_text()
        assert page.get_by_label(CSC).is_checked()
        page.screenshot(path=str(tmp_path / "deep_dive_refused.png"), full_page=True)
        axe.check(page, "replaced without a reason")

        page.get_by_label("Take every setting that rated any standard").select_option(label="Amber")
        page.get_by_label("Share of the other settings to draw at random").fill("ten")
        _draw(page)
        assert page.locator("#percent-error").is_visible()
        axe.check(page, "a share that is not a number")

        page.get_by_label("Share of the other settings to draw at random").fill("100")
        page.locator("#reason-draw").fill("The learning hub asked for every setting")
        _draw(page)
        assert "drawn by the rule: 3 settings" in page.locator("#done").inner_text()
        axe.check(page, "drawn by the rule")

        page.set_viewport_size({"width": 360, "height": 740})
        page.reload()
        axe.check(page, "drawn, on a phone")

        page.goto(f"{base}/audits/{planned}/deep-dive")
        assert "is at Planning" in page.content()
        axe.check(page, "before the deep dive")
    axe.assert_clean()
