"""Your work and the declaration page in real headless Chromium: an auditor signs in, lands on
their work, declares on their case (first sending nothing), and finds their case audit; a
chair's and a coordinator's work. Every state reports no axe-core violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from oscp_flow.settings import Settings
from states.services import auditors
from states.services.deps import Deps
from tests.support.accessibility import AxeWalk
from tests.support.browser import chromium, follow, serving
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords
from tests.support.ports import bound, port_of
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
PEOPLE = ("coordinator", "chair", "auditor.one", "auditor.two")


def sign_in_as(page: Page, start: str, who: str) -> None:
    page.goto(start)
    page.get_by_label("E-mail address").fill(email(who))
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))


def test_every_state_of_your_work(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD, people=PEOPLE)
    planned = drive(deps, "mace", "sample_selected")
    case = planned.cases[0]
    auditors.assign_auditor(
        deps,
        audit=planned.reference,
        actor=email("coordinator"),
        case=case,
        auditor=email("auditor.one"),
    )
    drive(deps, "mace", "moderation")  # the second auditor's case, now in moderation
    web = bound()
    base = f"http://127.0.0.1:{port_of(web)}"
    axe = AxeWalk()
    with serving(deps, Settings(home=tmp_path, base_url=base), web), chromium() as browser:
        page = browser.new_context().new_page()
        sign_in_as(page, f"{base}/signin", "auditor.one")
        assert page.url == f"{base}/work"
        axe.check(page, "a declaration awaited")

        follow(page, page.get_by_role("link", name=f"Declare your involvement in case {case}"))
        axe.check(page, "the declaration")
        follow(page, page.get_by_role("button", name="Send my declaration"))
        assert "Choose whether" in page.locator("#involvement-error").inner_text()
        axe.check(page, "the declaration, nothing chosen")
        page.get_by_label("I have no involvement in this case").check()
        follow(page, page.get_by_role("button", name="Send my declaration"))
        assert "no involvement" in page.locator("#done").inner_text()
        page.screenshot(path=str(tmp_path / "work.png"), full_page=True)
        axe.check(page, "declared, with a case in moderation")

        page = browser.new_context().new_page()
        sign_in_as(page, f"{base}/signin", "auditor.two")
        axe.check(page, "moderating")

        page = browser.new_context().new_page()
        sign_in_as(page, f"{base}/signin", "chair")
        assert page.url == f"{base}/work"
        axe.check(page, "a chair's audits")

        page = browser.new_context().new_page()
        sign_in_as(page, f"{base}/work", "coordinator")
        assert page.locator("#nothing").is_visible()
        axe.check(page, "a coordinator with nothing to do")
    axe.assert_clean()
