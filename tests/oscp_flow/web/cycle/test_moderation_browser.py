"""The moderation page and the concerns page in real headless Chromium, driven by labels and
buttons as the chair would: every state they show (findings fresh, filtered, a change refused
without its rationale, all moderated; a concern refused, raised, and read with its assurance)
reports no axe-core violation."""

from __future__ import annotations

from pathlib import Path

import pytest

from states.services import concerns, moderation, work
from states.services.deps import Deps
from states.services.finding_views import FindingFilter
from tests.support.accessibility import AxeWalk
from tests.support.browser import browsing, follow, sign_in
from tests.support.driver import drive
from tests.support.partnership import agency_name, email, give_passwords
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
POLICE = agency_name("police")
CONCERN = "Case C03: the child's bruising was not referred to children's social care."


def test_every_state_of_the_moderation_and_concerns_pages(
    partnership: Deps, tmp_path: Path
) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD, people=("chair",))
    reference = drive(deps, "mace", "moderation").reference
    axe = AxeWalk()
    with browsing(deps, tmp_path) as (base, browser):
        moderating = f"{base}/audits/{reference}/moderation"
        page = browser.new_page()
        sign_in(page, moderating, "chair")
        assert page.get_by_role("heading", name="Moderate the findings").is_visible()
        page.screenshot(path=str(tmp_path / "moderation.png"), full_page=True)
        axe.check(page, "moderation, fresh")

        page.get_by_label("Section").select_option(label="Timeliness")
        page.get_by_label("Agency").select_option(label=POLICE)
        follow(page, page.get_by_role("button", name="Show these findings"))
        assert "Findings 1 to 9 of 9" in page.content()
        axe.check(page, "moderation, filtered")

        first = page.locator("section.finding:has(input[type=radio])").first
        first.get_by_text("Give a different rating").click()
        first.get_by_label("Inadequate").check()
        follow(page, first.get_by_role("button", name="Change the rating"))
        refused = page.locator("section.finding:has(.error-message)")
        assert "Give the rationale" in refused.inner_text()
        assert refused.get_by_label("Inadequate").is_checked()
        axe.check(page, "moderation, a change refused without its rationale")

        moderation.confirm_findings(
            deps, audit=reference, actor=email("chair"), shown=FindingFilter()
        )
        page.goto(moderating)
        assert "225 of 225" in page.content()
        axe.check(page, "moderation, all moderated")

        follow(page, page.get_by_role("link", name="Raise an immediate-risk concern"))
        axe.check(page, "concerns, none raised")
        page.get_by_label("Agency asked for assurance").select_option(label=POLICE)
        follow(page, page.get_by_role("button", name="Raise the concern"))
        assert page.locator("#concern[aria-invalid=true]").count() == 1
        axe.check(page, "concerns, raised without its words")

        page.get_by_label("The concern").fill(CONCERN)
        follow(page, page.get_by_role("button", name="Raise the concern"))
        assert "is raised. Told:" in page.locator("#done").inner_text()
        axe.check(page, "concerns, raised")

        raised = concerns.raise_concern(
            deps, audit=reference, actor=email("chair"), agency="csc", concern=CONCERN
        )
        work.record_assurance(
            deps,
            audit=reference,
            actor=email("chair"),
            escalation_id=raised.id,
            assurance="A strategy discussion was held the same day.",
        )
        page.goto(f"{base}/audits/{reference}/concerns")
        follow(page, page.get_by_role("button", name="Record the assurance"))
        assert "Record the assurance the agency gave." in page.content()
        page.screenshot(path=str(tmp_path / "concerns.png"), full_page=True)
        axe.check(page, "concerns, assurance refused, another with its assurance")
    axe.assert_clean()
