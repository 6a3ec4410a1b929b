"""Your work and the declaration page in real headless Chromium: an auditor signs in, lands on
their work, declares on their case (first sending nothing), and finds their case audit; a
chair's and a coordinator's work. Every state reports no axe-core violation."""

from __future__ import annotations

from pathlib import Path

import pytest

from states.services import auditors
from states.services.deps import Deps
from tests.support.accessibility import AxeWalk
from tests.support.browser import browsing, follow, sign_in
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
PEOPLE = ("coordinator", "chair", "auditor.one", "auditor.two")


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
    axe = AxeWalk()
    with browsing(deps, tmp_path) as (base, browser):
        page = browser.new_context().new_page()
        sign_in(page, f"{base}/signin", "auditor.one")
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
        sign_in(page, f"{base}/signin", "auditor.two")
        axe.check(page, "moderating")

        page = browser.new_context().new_page()
        sign_in(page, f"{base}/signin", "chair")
        assert page.url == f"{base}/work"
        axe.check(page, "a chair's audits")

        page = browser.new_context().new_page()
        sign_in(page, f"{base}/work", "coordinator")
        assert page.locator("#nothing").is_visible()
        axe.check(page, "a coordinator with nothing to do")
    axe.assert_clean()
