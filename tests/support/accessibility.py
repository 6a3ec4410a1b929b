"""axe-core in the real browser, offline: axe-playwright-python ships the script, so a page is
checked against the WCAG 2.x A and AA rules exactly as Chromium renders it."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Page

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def axe_violations(page: Page) -> list[str]:
    """Each rule the page breaks, with how many elements break it: [] when it passes."""
    found = Axe().run(page, options=WCAG_AA).response["violations"]
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in found]
