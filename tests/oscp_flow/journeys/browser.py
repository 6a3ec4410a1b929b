"""A new partnership served by the real app on loopback, for the journeys its people take in
Chromium through the pages alone.

Northdale is set up as any new partnership is (``oscp init``, its directory imported, the
programme loaded), its links under the address the app is served at, its mail going to a real
SMTP server; the coordinator gives the chair and the auditors their passwords with ``oscp user
password``. From then on everything is a page, a button or an e-mailed link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.oscp_flow.journeys.steps import SIGN_OFF_REQUESTED
from tests.support.chromium import chromium, serve
from tests.support.journey import Partnership, at, partnership
from tests.support.northdale import COORDINATOR, PASSWORD, database
from tests.support.ports import bound, port_of
from tests.support.screens import Album, Screen

# What the chair and the auditors are given to sign in with (the coordinator's is init's).
THEIR_PASSWORD = "a long pass phrase the coordinator gave"


@dataclass
class Served:
    northdale: Partnership
    browser: Browser
    album: Album
    base_url: str

    def screen(self, who: str, *, phone: bool = False) -> Screen:
        return Screen(self.browser, self.album, who, base_url=self.base_url, phone=phone)

    def signed_in(self, who: str, start: str = "/board") -> Screen:
        """``who`` at their own screen, signed in with their password, at ``start``."""
        screen = self.screen(who.split("@", maxsplit=1)[0])
        password = PASSWORD if who == COORDINATOR else THEIR_PASSWORD
        screen.sign_in(start, who, password)
        return screen

    def links(self, to: str, *, audit: str, subject: str) -> str:
        """The newest link ``to`` was e-mailed about ``audit``, once the outbox is sent."""
        self.northdale.send_mail()
        return self.northdale.link(to, audit=audit, subject=subject)


@contextmanager
def served(
    folder: Path, store: str, request: pytest.FixtureRequest, journey: str, *people: str
) -> Iterator[Served]:
    """Northdale on ``store``, served on a loopback port, and Chromium; ``people`` (local
    parts) are given passwords by the coordinator."""
    with bound() as sock:
        base_url = f"http://127.0.0.1:{port_of(sock)}"
        with (
            database(store, request) as url,
            partnership(folder, url, base_url) as northdale,
        ):
            for local in people:
                typed = f"{THEIR_PASSWORD}\n{THEIR_PASSWORD}\n"
                northdale.oscp("user", "password", at(local), answers=typed)
            with (
                serve(northdale.app(), sock),
                chromium() as browser,
            ):
                yield Served(northdale, browser, Album.for_journey(journey), base_url)


RECORD_SHARED = re.compile(r"^Record as shared")


def step(screen: Screen, reference: str, title: str) -> None:
    """Takes the stage's step named ``title`` from the audit's next steps page."""
    screen.open(f"/audits/{reference}/stages")
    screen.press(title)


def share_everything(screen: Screen, reference: str) -> None:
    """Records each item the audit must share as shared today, by its first channel."""
    screen.open(f"/audits/{reference}/sharing")
    for n in range(screen.page.locator("form.shared-form").count()):
        form = screen.page.locator("form.shared-form").nth(n)
        how = form.get_by_label(re.compile("^How it was shared"))
        if not how.input_value():
            how.select_option(index=1)
        screen.press(RECORD_SHARED, within=form)


def draft_report(screen: Screen, reference: str, sections: Mapping[str, str]) -> None:
    """Opens the audit's summary report, writes each section (by its label) and saves the
    draft."""
    screen.open(f"/audits/{reference}/report")
    for label, text in sections.items():
        screen.page.get_by_label(label, exact=True).fill(text)
    screen.press("Save draft")


def approve(app: Served, reference: str, members: Iterable[str]) -> None:
    """Each of ``members`` (local parts) approves the report by the link they were e-mailed,
    each at their own screen."""
    for member in members:
        link = app.links(at(member), audit=reference, subject=SIGN_OFF_REQUESTED)
        screen = app.screen(member)
        screen.open(link)
        screen.page.get_by_label("Approve", exact=False).first.check()
        screen.press("Send my decision")
        screen.says("Decision recorded")
        screen.close()
