"""The audit discussion page in real headless Chromium, as the chair uses it: scheduling
refused with neither place nor link (what was typed kept), scheduled through the form (the
invitations queued), then cancelled with a reason; each page reports no axe-core violation.
An auditor of the audit is refused the page (403)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from states.persistence import tables as t
from states.services.deps import Deps
from tests.support.accessibility import AxeWalk
from tests.support.browser import browsing, follow, sign_in
from tests.support.meetings import at_moderation
from tests.support.partnership import give_passwords, person_name
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow


def _press(page: Page, button: str) -> None:
    follow(page, page.get_by_role("button", name=button))


def _queued(deps: Deps) -> list[str]:
    with deps.uow(readonly=True) as uow:
        return list(
            uow.connection.execute(
                select(t.outbox.c.kind).where(t.outbox.c.kind.like("meeting_%"))
            ).scalars()
        )


def test_the_chair_schedules_and_cancels_the_discussion(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD, people=("chair", "auditor.one"))
    reference = at_moderation(deps).reference
    axe = AxeWalk()
    with browsing(deps, tmp_path) as (base, browser):
        page = browser.new_page()
        sign_in(page, f"{base}/audits/{reference}/meeting", "chair")
        assert page.get_by_role("heading", name="Schedule the discussion").is_visible()
        axe.check(page, "the meeting page, nothing scheduled")

        page.get_by_label("Date").fill("2026-03-09")
        page.get_by_label("Start time").fill("10:00")
        page.get_by_label("End time").fill("12:00")
        page.get_by_label(person_name("lead.police")).check()
        page.get_by_label(person_name("auditor.one")).check()
        _press(page, "Schedule and send the invitations")
        assert "place, an online link, or both" in page.locator("#schedule-error").inner_text()
        assert page.get_by_label("Start time").input_value() == "10:00"
        assert page.get_by_label(person_name("lead.police")).is_checked()
        axe.check(page, "scheduling refused")
        assert _queued(deps) == []

        page.get_by_label("Place (optional if there is an online link)").fill("Room 4")
        _press(page, "Schedule and send the invitations")
        assert "invitations are on their way" in page.locator("#done").inner_text()
        assert page.get_by_role("heading", name="The discussion scheduled").is_visible()
        axe.check(page, "the discussion scheduled, move and cancel forms")
        assert _queued(deps) == ["meeting_invitation"] * 2

        page.get_by_label("Why it is cancelled").fill("The chair is away")
        _press(page, "Cancel the discussion")
        assert "is cancelled" in page.locator("#done").inner_text()
        assert page.get_by_role("heading", name="Schedule the discussion").is_visible()
        axe.check(page, "the discussion cancelled")
        assert sorted(_queued(deps)).count("meeting_cancelled") == 2

        other = browser.new_page()
        sign_in(other, f"{base}/audits/{reference}/meeting", "auditor.one")
        assert "chair or coordinator" in other.content()
    axe.assert_clean()
