"""An audit's terms of reference in real headless Chromium, driven by labels and buttons as the
chair would: the page fresh, agreeing refused before anything is recorded, saving with parts
left blank, saved, agreed (and changing the agreed terms, opened), and fixed once planning is
over; each page reports no axe-core violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from states.services import audits
from states.services.deps import Deps
from states.services.terms import PARTS
from tests.support.accessibility import AxeWalk
from tests.support.browser import browsing, follow, sign_in
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords, person_name
from tests.support.terms import TERMS
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
AGREE = "Agree the terms of reference"


def _press(page: Page, button: str) -> None:
    follow(page, page.get_by_role("button", name=button))


def test_every_state_of_the_terms_of_reference(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD, people=("chair",))
    reference = audits.start_audit(
        deps, audit_type="mace", theme="Neglect", lead=email("chair"), actor=email("coordinator")
    ).reference
    running = drive(deps, "mace", "returns_open").reference
    axe = AxeWalk()
    with browsing(deps, tmp_path) as (base, browser):
        page = browser.new_page()
        sign_in(page, f"{base}/audits/{reference}/terms", "chair")
        assert page.get_by_role("heading", name="Record the terms").is_visible()
        axe.check(page, "the terms, nothing recorded")

        _press(page, AGREE)
        assert "terms_recorded" in page.locator("#agree-error").inner_text()
        axe.check(page, "agreeing refused")

        for part, label in PARTS.items():
            if part in TERMS and part != "timetable":
                page.get_by_label(label, exact=True).fill(TERMS[part])
        _press(page, "Save the terms of reference")
        assert page.locator("#timetable-error").is_visible()
        assert page.get_by_label("Scope", exact=True).input_value() == TERMS["scope"]
        axe.check(page, "the terms with a part left blank")

        page.get_by_label("Timetable", exact=True).fill(TERMS["timetable"])
        _press(page, "Save the terms of reference")
        assert "are saved" in page.locator("#done").inner_text()
        axe.check(page, "the terms saved")

        _press(page, AGREE)
        assert "are agreed" in page.locator("#done").inner_text()
        assert person_name("chair") in page.locator("#agreed").inner_text()
        axe.check(page, "the terms agreed")
        page.get_by_text("Change the agreed terms").click()
        assert page.get_by_role("button", name="Save the changed terms").is_visible()
        axe.check(page, "the agreed terms, changing them opened")

        page.goto(f"{base}/audits/{running}/terms")
        assert page.get_by_role("heading", name="The terms as agreed").is_visible()
        assert page.locator("textarea").count() == 0
        axe.check(page, "the terms once planning is over")
    axe.assert_clean()
