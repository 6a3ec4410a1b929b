"""An audit's history in real headless Chromium, followed by its links as a coordinator would:
the audit page's history section, the whole history's first, middle and last pages, and the
same on a phone, each with no axe-core violation."""

from __future__ import annotations

from pathlib import Path

import pytest

from states.services import queries
from states.services.deps import Deps
from tests.support.accessibility import AxeWalk
from tests.support.browser import browsing, follow, sign_in
from tests.support.driver import drive
from tests.support.partnership import give_passwords
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow


def test_every_state_of_the_history(
    partnership: Deps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD)
    reference = drive(deps, "mace", "moderation").reference
    # Small pages, so a driven audit's few dozen steps make several of them.
    monkeypatch.setattr(queries, "HISTORY_PER_PAGE", 4)
    monkeypatch.setattr(queries, "RECENT_STEPS", 3)
    total = len(queries.history(deps, audit=reference))
    pages = -(-total // 4)
    assert pages >= 3
    axe = AxeWalk()
    with browsing(deps, tmp_path) as (base, browser):
        page = browser.new_page()
        sign_in(page, f"{base}/audits/{reference}")
        assert page.get_by_role("heading", name="Latest steps").is_visible()
        axe.check(page, "the audit page's history")

        follow(page, page.get_by_role("link", name=f"Every recorded step ({total})"))
        assert page.get_by_role("heading", name=f"History of audit {reference}").is_visible()
        assert page.get_by_role("heading", name=f"Steps 1 to 4 of {total}").is_visible()
        axe.check(page, "the history's first page")

        follow(page, page.get_by_role("link", name="Older steps").first)
        assert "page=2" in page.url
        axe.check(page, "the history's second page")

        follow(page, page.get_by_role("link", name=f"Page {pages}", exact=True).first)
        assert page.get_by_role("cell", name="Start", exact=True).is_visible()
        axe.check(page, "the history's last page")

        page.set_viewport_size({"width": 360, "height": 740})
        page.reload()
        axe.check(page, "the history's last page on a phone")

        follow(page, page.get_by_role("link", name=f"Back to audit {reference}"))
        assert page.url.endswith(f"/audits/{reference}#history")
    axe.assert_clean()
