"""axe-core in the real browser, offline: axe-playwright-python ships the script, so a page is
checked exactly as Chromium renders it.

The rules are every WCAG 2.0, 2.1 and 2.2 level A and AA rule axe-core has, plus its best
practices (landmarks, heading order, one main heading): the GOV.UK patterns the pages follow
meet them all, so none is switched off. A failure names the page, each rule broken, how badly,
and the elements that break it, so it can be fixed from the test's output alone.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

RULES = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
# Enough elements to find the pattern; a rule broken by a whole table says so in its count.
SHOWN_NODES = 3


@cache
def _axe() -> Axe:
    """One copy of the script (about 500 kB) read per test process, not one per page."""
    return Axe()


def axe_violations(page: Page) -> list[str]:
    """Each rule the page breaks, with the elements that break it: [] when it passes."""
    found = _axe().run(page, options=RULES).response["violations"]
    return [_described(violation) for violation in found]


def assert_accessible(page: Page, name: str = "") -> None:
    """Fails with every rule the page breaks; ``name`` says which page (default: its title)."""
    problems = axe_violations(page)
    assert not problems, f"{name or page.title()}: " + "\n".join(problems)


class AxeWalk:
    """Checks many pages, one after another, and fails once at the end listing every page
    that broke a rule: one run shows everything to fix, not only the first page."""

    def __init__(self) -> None:
        self.checked: dict[str, list[str]] = {}

    def check(self, page: Page, name: str) -> None:
        assert name not in self.checked, f"two pages are both called {name!r}"
        self.checked[name] = axe_violations(page)

    def assert_clean(self) -> None:
        broken = {name: found for name, found in self.checked.items() if found}
        assert not broken, "axe-core violations:\n" + "\n".join(
            f"- {name}:\n  " + "\n  ".join(found) for name, found in broken.items()
        )


def _described(violation: dict[str, Any]) -> str:
    nodes = violation["nodes"]
    where = "; ".join(_node(node) for node in nodes[:SHOWN_NODES])
    more = f"; and {len(nodes) - SHOWN_NODES} more" if len(nodes) > SHOWN_NODES else ""
    return (
        f"{violation['id']} ({violation.get('impact') or 'no impact given'}): "
        f"{violation['help']} ({len(nodes)}): {where}{more}"
    )


def _node(node: dict[str, Any]) -> str:
    target = " ".join(str(part) for part in node.get("target", []))
    summary = " ".join(str(node.get("failureSummary", "")).split())
    return f"{target} [{summary}]" if summary else target
