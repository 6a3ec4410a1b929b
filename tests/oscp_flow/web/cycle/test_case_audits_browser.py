"""An auditor's case audit in real headless Chromium, driven by labels and buttons as the
auditor would: the case's forms fresh, a submission refused with each missing answer beside
its question, a draft saved, one agency's case audit submitted and shown read-only, and the
page before case audits open, each reporting no axe-core violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page

from states.services.deps import Deps
from tests.support.accessibility import AxeWalk
from tests.support.browser import browsing, fill_everything, follow, sign_in
from tests.support.driver import Cast, drive
from tests.support.partnership import give_passwords
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
GOOD_PRACTICE = "What good practice did you find in understanding the child's daily life"
RISK = "Is any child or vulnerable adult at immediate risk"


def _police(page: Page) -> Locator:
    return page.get_by_role("region", name="Northvale Police")


def test_every_state_of_a_case_audit(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD, people=("auditor.one",))
    three = drive(deps, "mace", "returns_open")
    # The case's other states on a case only the police were involved in: one form, not
    # three of 46 questions, keeps the browser's work (and the test) short.
    police_only = Cast(returning={"police": "lead.police"})
    driver = drive(deps, "mace", "returns_open", cast=police_only)
    reference, case = driver.reference, driver.cases[1]
    waiting = drive(deps, "mace", "auditors_assigned", cast=police_only)
    axe = AxeWalk()
    with browsing(deps, tmp_path) as (base, browser):
        address = f"{base}/audits/{reference}/cases/{case}"
        page = browser.new_page()
        sign_in(page, address, "auditor.one")
        page.goto(f"{base}/audits/{three.reference}/cases/{three.cases[1]}")
        assert page.get_by_role("heading", name=f"Case audit: case {three.cases[1]}").is_visible()
        assert page.get_by_role("region").count() == 3
        axe.check(page, "case audit, fresh, three agencies involved")

        page.goto(address)
        assert page.get_by_role("region").count() == 1

        police = _police(page)
        police.get_by_label(GOOD_PRACTICE).fill("The child was seen alone at every visit.")
        follow(page, police.get_by_role("button", name="Submit"))
        assert page.locator(".error-summary").is_visible()
        police = _police(page)
        assert police.locator(".error-message").count() > 5
        assert police.get_by_label(GOOD_PRACTICE).input_value().startswith("The child was seen")
        page.screenshot(path=str(tmp_path / "case_audit_refused.png"), full_page=True)
        axe.check(page, "case audit, submission refused")

        follow(page, police.get_by_role("button", name="Save draft"))
        assert "Your draft for Northvale Police is saved" in page.locator("#done").inner_text()
        assert _police(page).get_by_label(GOOD_PRACTICE).input_value().startswith("The child")
        axe.check(page, "case audit, a draft saved")

        police = _police(page)
        fill_everything(police)
        police.get_by_label(RISK).fill("")  # none: an answer would raise a concern at once
        follow(page, police.get_by_role("button", name="Submit"))
        assert "is submitted and locked" in page.locator("#done").inner_text()
        assert _police(page).locator("form").count() == 0
        assert _police(page).locator("dl.answers").count() > 0
        page.screenshot(path=str(tmp_path / "case_audit_submitted.png"), full_page=True)
        axe.check(page, "case audit, one agency's submitted")

        page.set_viewport_size({"width": 360, "height": 740})
        page.goto(f"{base}/audits/{waiting.reference}/cases/{waiting.cases[1]}")
        assert page.locator("#not-open").is_visible()
        axe.check(page, "case audit before case audits open, on a phone")
    axe.assert_clean()
