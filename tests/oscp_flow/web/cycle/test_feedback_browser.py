"""The feedback page in real headless Chromium, driven by labels and buttons as the chair
would: every state it can show (none recorded, a setting's refusal, a refusal for a setting
not on the page, recorded, read-only before the stage, Section 11's agencies) reports no
axe-core violation."""

from __future__ import annotations

from pathlib import Path

import pytest

from states.services import audits, deep_dive
from states.services.deps import Deps
from tests.support.accessibility import AxeWalk
from tests.support.browser import browsing, follow, sign_in
from tests.support.driver import drive
from tests.support.partnership import agency_name, email, give_passwords
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
POLICE = agency_name("police")
RECORD = f"Record the feedback to {POLICE}"


def _sampled(deps: Deps, *, complete: bool) -> str:
    """A Section 175 whose deep dive took the police and social care, at its deep dive or
    (``complete``) giving feedback."""
    driver = drive(deps, "section_175", "deep_dive")
    chair = email("chair")
    deep_dive.choose_deep_dive(
        deps, audit=driver.reference, actor=chair, settings=["police", "csc"]
    )
    if complete:
        driver.moderate_findings()
        audits.fire(deps, audit=driver.reference, trigger="complete_deep_dive", actor=chair)
    return driver.reference


def test_every_state_of_the_feedback_page(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD)
    reference = _sampled(deps, complete=True)
    early = _sampled(deps, complete=False)
    section_11 = drive(deps, "section_11", "feedback_to_agencies").reference
    axe = AxeWalk()
    with browsing(deps, tmp_path) as (base, browser):
        page = browser.new_page()
        sign_in(page, f"{base}/audits/{reference}/feedback")
        assert page.get_by_role("heading", name=f"Feedback on audit {reference}").is_visible()
        axe.check(page, "none recorded")

        follow(page, page.get_by_role("button", name=RECORD))
        assert "Write the feedback" in page.locator("#feedback-police-error").inner_text()
        axe.check(page, "blank feedback")

        # A page left open while the sample changed: the setting is no longer owed feedback.
        page.locator("input[name=setting][value=police]").evaluate(
            "e => e.value = 'community_health'"
        )
        page.get_by_label(f"Feedback to {POLICE}").fill("Kept words.")
        follow(page, page.get_by_role("button", name=RECORD))
        assert "community_health" in page.locator(".error-summary").inner_text()
        axe.check(page, "a setting not owed feedback")

        page.get_by_label(f"Feedback to {POLICE}").fill("Strong culture; update the policy.")
        follow(page, page.get_by_role("button", name=RECORD))
        assert page.locator("#done").is_visible()
        assert "1 of 2" in page.content()
        page.screenshot(path=str(tmp_path / "feedback.png"), full_page=True)
        axe.check(page, "recorded")

        page.goto(f"{base}/audits/{early}/feedback")
        assert "No feedback recorded yet." in page.content()
        axe.check(page, "before feedback is given")

        page.goto(f"{base}/audits/{section_11}/feedback")
        assert "Each agency that returned" in page.content()
        axe.check(page, "Section 11's agencies")
    axe.assert_clean()
