"""The auditors page in real headless Chromium, driven by labels and buttons as the chair
would: every state (nobody assigned, no auditor chosen, assigned, assigned twice, an auditor
who declared involvement) reports no axe-core violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from states.services import partnership as directory
from states.services.deps import Deps
from tests.support.accessibility import AxeWalk
from tests.support.browser import browsing, follow, sign_in
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords, person_name
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow


def _assign(page: Page, case: str, auditor: str) -> None:
    page.get_by_label(f"Auditor for case {case}").select_option(label=auditor)
    follow(page, page.get_by_role("button", name=f"Assign the auditor to case {case}"))


def test_every_state_of_the_auditors_page(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD)
    driver = drive(deps, "mace", "sample_selected")
    ref, (c1, c2, _) = driver.reference, driver.cases
    directory.declare_conflict(
        deps, person=email("auditor.one"), case_reference=c2, involvement="management"
    )
    one = person_name("auditor.one")
    axe = AxeWalk()
    with browsing(deps, tmp_path) as (base, browser):
        page = browser.new_page()
        sign_in(page, f"{base}/audits/{ref}/auditors", "chair")
        assert page.get_by_role("heading", name=f"Auditors for audit {ref}").is_visible()
        axe.check(page, "nobody assigned")

        follow(page, page.get_by_role("button", name=f"Assign the auditor to case {c1}"))
        assert "Choose an auditor" in page.locator(f"#auditor-{c1}-error").inner_text()
        axe.check(page, "no auditor chosen")

        _assign(page, c1, f"{one} (Northvale Children's Social Care)")
        assert page.locator("#done").is_visible()
        assert f"{one}: awaited" in page.locator("table.data").inner_text()
        page.screenshot(path=str(tmp_path / "auditors.png"), full_page=True)
        axe.check(page, "assigned")

        _assign(page, c1, f"{one} (Northvale Children's Social Care)")
        assert "already assigned" in page.locator(f"#auditor-{c1}-error").inner_text()
        axe.check(page, "assigned twice")

        _assign(page, c2, f"{one} (Northvale Children's Social Care)")
        assert "cannot audit it" in page.locator(f"#auditor-{c2}-error").inner_text()
        axe.check(page, "an auditor who declared involvement")
    axe.assert_clean()
