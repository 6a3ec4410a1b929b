"""The audit's task list, its next steps, withdrawal and sign-off progress in real headless
Chromium, driven by labels, links and buttons as the coordinator would: the audit page's
task list at two stages, the next steps page, a step refused, the withdrawal page refused
without a reason and then done, and sign-off progress mid-sign-off; each page reports no
axe-core violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from states.services import queries, work
from states.services.deps import Deps
from tests.support.accessibility import AxeWalk
from tests.support.browser import browsing, follow, sign_in
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords, person_name
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
REASON = "Merged into the thematic review of neglect"


def _status(page: Page, part: str) -> str:
    return page.locator(f"#task-{part}-status").inner_text().strip()


def test_task_list_steps_withdrawal_and_sign_off(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD, people=("coordinator",))
    running = drive(deps, "mace", "returns_open").reference
    signing = drive(deps, "mace", "awaiting_sign_off").reference
    work.record_sign_off_decision(deps, audit=signing, actor=email("lhm"), decision="approve")
    axe = AxeWalk()
    with browsing(deps, tmp_path) as (base, browser):
        page = browser.new_page()
        sign_in(page, f"{base}/audits/{running}", "coordinator")
        assert _status(page, "terms") == "Completed" and _status(page, "returns") == "In progress"
        assert _status(page, "moderation") == "Cannot start yet"
        axe.check(page, "the audit page, case audits open")

        follow(page, page.get_by_role("link", name="the next steps page"))
        assert page.get_by_role("heading", name=f"Next steps for audit {running}").is_visible()
        assert "Northvale Police (3 cases)" in page.locator("section.step").inner_text()
        axe.check(page, "the next steps")

        page.get_by_label("Reason (optional)").fill("Closing early by agreement")
        follow(page, page.get_by_role("button", name="Close case audits"))
        assert "Could not close case audits" in page.locator(".error-summary").inner_text()
        assert (
            "Could not close case audits" in page.locator("#step-close_returns-error").inner_text()
        )
        assert page.get_by_label("Reason (optional)").input_value() == "Closing early by agreement"
        axe.check(page, "a step refused")

        follow(page, page.get_by_role("link", name=f"Withdraw audit {running}"))
        assert page.get_by_role("heading", name="Are you sure").is_visible()
        axe.check(page, "the withdrawal page")
        follow(page, page.get_by_role("button", name="Withdraw the audit"))
        assert "a reason must be given" in page.locator("#step-withdraw-error").inner_text()
        axe.check(page, "withdrawal refused without a reason")
        page.get_by_label("Why is the audit being withdrawn?").fill(REASON)
        follow(page, page.get_by_role("button", name="Withdraw the audit"))
        assert "Done: Withdraw the audit." in page.locator("#done").inner_text()
        axe.check(page, "the audit withdrawn")
        assert queries.history(deps, audit=running)[-1].to_state == "withdrawn"

        page.goto(f"{base}/audits/{signing}")
        assert _status(page, "report") == "Completed"
        assert _status(page, "sign-off") == "In progress"
        axe.check(page, "the audit page, awaiting sign-off")
        follow(page, page.get_by_role("link", name="Sign-off", exact=True))
        hub = page.get_by_role("table", name="The learning hub (Northvale Learning Hub)")
        assert "Approved" in hub.get_by_role("row", name=person_name("lhm")).inner_text()
        assert "Quorum not met yet" in page.locator("main").inner_text()
        axe.check(page, "sign-off progress mid-sign-off")
    axe.assert_clean()
