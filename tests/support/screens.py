"""People at their own screens: each a Chromium window of their own (its own cookies) on the
real app, doing their part of an audit through the pages and the links they were e-mailed.

Every page a person reaches is checked by axe-core and kept as a screenshot, numbered in the
order it was seen, under ``var/artefacts/<journey>/`` (ignored by git): the artefacts a
reviewer opens to see the journey as its people saw it. Only pages, buttons, links and form
fields are touched, by their visible names, as a person finds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize

from tests.support.accessibility import AxeWalk
from tests.support.chromium import follow
from tests.support.paths import ROOT

ARTEFACTS = ROOT / "var" / "artefacts"
PHONE = ViewportSize(width=390, height=844)
DESK = ViewportSize(width=1280, height=900)
_UNSAFE = re.compile(r"[^a-z0-9]+")


@dataclass
class Album:
    """The journey's screenshots and its accessibility checks, shared by everyone in it."""

    folder: Path
    axe: AxeWalk = field(default_factory=AxeWalk)
    count: int = 0

    @classmethod
    def for_journey(cls, name: str) -> Album:
        folder = ARTEFACTS / name
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
        return cls(folder)

    def keep(self, page: Page, who: str, what: str) -> None:
        self.count += 1
        name = f"{self.count:03d} {who}: {what}"
        self.axe.check(page, name)
        slug = _UNSAFE.sub("-", name.lower()).strip("-")[:90]
        page.screenshot(path=str(self.folder / f"{slug}.png"), full_page=True)


class Screen:
    """One person's browser window: what they open, press and type, each page kept."""

    def __init__(
        self, browser: Browser, album: Album, who: str, *, base_url: str, phone: bool = False
    ) -> None:
        self.who = who
        self.album = album
        self.base_url = base_url
        self.context: BrowserContext = browser.new_context(viewport=PHONE if phone else DESK)
        self.page: Page = self.context.new_page()

    def close(self) -> None:
        self.context.close()

    def seen(self, what: str | None = None) -> Page:
        """Keeps the page now shown (its title unless ``what`` says more)."""
        self.album.keep(self.page, self.who, what or self.page.title())
        return self.page

    def open(self, address: str, what: str | None = None) -> Page:
        """Opens a link from an e-mail, or types an address (a path is on the app's site)."""
        self.page.goto(self.base_url + address if address.startswith("/") else address)
        return self.seen(what)

    def sign_in(self, start: str, email: str, password: str) -> Page:
        """Opens ``start``, is sent to sign in, and signs in: back at ``start``."""
        self.page.goto(self.base_url + start if start.startswith("/") else start)
        assert "/signin" in self.page.url, self.page.url
        self.seen("sign in")
        self.page.get_by_label("E-mail address").fill(email)
        self.page.get_by_label("Password").fill(password)
        return self.press("Sign in")

    def press(
        self,
        button: str | re.Pattern[str],
        what: str | None = None,
        *,
        within: Locator | None = None,
        refused: bool = False,
    ) -> Page:
        """Presses the button named ``button`` (in ``within``, else the first on the page) and
        keeps the page it leads to, which shows a problem only when ``refused``."""
        place = within if within is not None else self.page
        follow(self.page, place.get_by_role("button", name=button, exact=True).first)
        self.seen(what)
        problems = self.page.locator(".error-summary")
        shown = problems.inner_text() if problems.count() else ""
        assert bool(shown) == refused, f"{self.who} pressed {button!r}: {shown or 'no problem'}"
        return self.page

    def buttons(self, name: str | re.Pattern[str]) -> int:
        return self.page.get_by_role("button", name=name, exact=True).count()

    def click(self, link: str, what: str | None = None, *, within: Locator | None = None) -> Page:
        place = within if within is not None else self.page
        follow(self.page, place.get_by_role("link", name=link, exact=True).first)
        return self.seen(what)

    def form(self, button: str) -> Locator:
        """The form holding the button named ``button``."""
        return self.page.locator("form").filter(
            has=self.page.get_by_role("button", name=button, exact=True)
        )

    def says(self, text: str) -> None:
        body = self.page.locator("main").inner_text()
        assert text in body, f"{self.who} expected {text!r} on {self.page.url}:\n{body[:2000]}"
