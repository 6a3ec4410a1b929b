"""The sharing page in real headless Chromium, driven by labels and buttons as a coordinator
would: every state it can show (before sign-off, nothing made, the products made and one
read, a record refused for a day to come, an item recorded) reports no axe-core violation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from states.clock import LONDON
from states.services.deps import Deps
from tests.support.accessibility import AxeWalk
from tests.support.browser import browsing, follow, sign_in
from tests.support.driver import drive
from tests.support.partnership import give_passwords
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
BRIEFING = "7-minute briefing"
WEBSITE = "Published on the OSCP website"


def test_every_state_of_the_sharing_page(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD)
    reference = drive(deps, "mace", "actions_agreed").reference
    waiting = drive(deps, "mace", "awaiting_sign_off").reference
    tomorrow = (deps.clock.now().astimezone(LONDON) + timedelta(days=1)).date().isoformat()
    axe = AxeWalk()
    with browsing(deps, tmp_path) as (base, browser):
        page = browser.new_page()
        sign_in(page, f"{base}/audits/{reference}/sharing")
        heading = f"Sharing the learning from audit {reference}"
        assert page.get_by_role("heading", name=heading).is_visible()
        axe.check(page, "sharing, nothing made")

        follow(page, page.get_by_role("button", name="Make the products"))
        assert "2 products made" in page.locator("#done").inner_text()
        axe.check(page, "sharing, products made")

        follow(page, page.get_by_role("link", name=f"Preview the {BRIEFING} for Everyone"))
        assert BRIEFING in page.content()
        axe.check(page, "the briefing as frozen")
        page.go_back()

        page.get_by_label(f"How it was shared ({BRIEFING})").select_option(label="Newsletter")
        page.get_by_label(f"Day it was shared ({BRIEFING})").fill(tomorrow)
        follow(page, page.get_by_role("button", name=f"Record as shared ({BRIEFING})"))
        assert "cannot be in the future" in page.locator("#shared-briefing-error").inner_text()
        assert page.get_by_label(f"Day it was shared ({BRIEFING})").input_value() == tomorrow
        page.screenshot(path=str(tmp_path / "sharing_refused.png"), full_page=True)
        axe.check(page, "sharing, a day to come refused")

        follow(page, page.get_by_role("button", name=f"Record as shared ({WEBSITE})"))
        assert f"Recorded: {WEBSITE} shared." in page.content()
        axe.check(page, "sharing, an item recorded")

        page.set_viewport_size({"width": 360, "height": 740})
        page.reload()
        axe.check(page, "sharing, on a phone")

        page.goto(f"{base}/audits/{waiting}/sharing")
        assert "there is nothing to make" in page.content()
        axe.check(page, "sharing, before sign-off")
    axe.assert_clean()
