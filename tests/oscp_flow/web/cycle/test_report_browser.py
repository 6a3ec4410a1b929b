"""The summary report's editor in real headless Chromium, driven by labels and buttons as the
chair would: every state it can show (fresh, a draft saved, sending refused for empty
sections, the preview as it will print, gone for sign-off, and after members refused with
their comments and a resubmission refused without a reason) reports no axe-core violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from states.services.deps import Deps
from tests.support.accessibility import AxeWalk
from tests.support.browser import browsing, follow, sign_in
from tests.support.driver import drive
from tests.support.partnership import give_passwords
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow


def _press(page: Page, button: str) -> None:
    follow(page, page.get_by_role("button", name=button))


def test_every_state_of_the_report_editor(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD, people=("chair",))
    drafting = drive(deps, "mace", "report_drafting").reference
    refused = drive(deps, "mace", "further_assurance_requested").reference
    axe = AxeWalk()
    with browsing(deps, tmp_path) as (base, browser):
        page = browser.new_page()
        sign_in(page, f"{base}/audits/{drafting}/report", "chair")
        assert page.get_by_role("heading", name=f"Summary report of audit {drafting}").is_visible()
        axe.check(page, "editor, fresh")

        page.get_by_label("What is working well", exact=True).fill("Meetings were on time.")
        page.get_by_label("Reflection on the process of the audit").fill("The tool worked.")
        _press(page, "Save draft")
        assert "is saved" in page.locator("#done").inner_text()
        axe.check(page, "editor, a draft saved")

        _press(page, "Send for sign-off")
        assert page.locator(".error-summary").is_visible()
        said = page.locator("#submit-error").inner_text()
        assert "emerging concerns and recommendations" in said
        assert page.get_by_label("Reflection on the process of the audit").input_value() == (
            "The tool worked."
        )
        page.screenshot(path=str(tmp_path / "report_refused.png"), full_page=True)
        axe.check(page, "editor, sending refused for empty sections")

        page.goto(f"{base}/audits/{drafting}/report/preview")
        assert "Meetings were on time." in page.content()
        axe.check(page, "preview as it will print")

        page.goto(f"{base}/audits/{drafting}/report")
        page.get_by_label("Emerging concerns").fill("Siblings were not always seen.")
        page.get_by_label("Recommendations", exact=True).fill("- Record every child's voice")
        _press(page, "Send for sign-off")
        assert "has gone for sign-off" in page.locator("#done").inner_text()
        assert page.locator("textarea").count() == 0
        axe.check(page, "editor, gone for sign-off")

        page.goto(f"{base}/audits/{refused}/report")
        assert page.get_by_role("heading", name="What the members decided").is_visible()
        assert "Please evidence how" in page.locator("blockquote.comment").first.inner_text()
        assert page.get_by_role("heading", name="What changed since version 1").is_visible()
        axe.check(page, "editor after a sign-off refusal, with its comments")

        _press(page, "Send for sign-off")
        assert page.locator("#reason-error").is_visible()
        page.screenshot(path=str(tmp_path / "resubmit_refused.png"), full_page=True)
        axe.check(page, "resending refused without a reason")

        page.get_by_label("What this version answers").fill("Resourcing is now evidenced.")
        _press(page, "Send for sign-off")
        assert "Version 2 of the report has gone" in page.locator("#done").inner_text()

        page.set_viewport_size({"width": 360, "height": 740})
        page.goto(f"{base}/audits/{drafting}/report")
        axe.check(page, "gone for sign-off, on a phone")
    axe.assert_clean()
