"""The real app under uvicorn on loopback and headless Chromium to drive it, for tests that need
a browser: serving, the browser, the links the relay e-mails, and forms filled as a person
would."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page

from notifications.relay import relay
from oscp_flow.settings import Settings
from oscp_flow.web.app import create_app
from oscp_flow.web.config import WebConfig
from states.services.deps import Deps
from tests.support.accessibility import assert_accessible
from tests.support.chromium import chromium, fill_everything, follow, serve
from tests.support.partnership import email
from tests.support.ports import bound, port_of
from tests.support.smtp import Recorder, mailer, smtp_server
from tests.support.web import PASSWORD

# Re-exported: the browser tests' one place to import from (the journeys use
# ``tests.support.chromium``, which knows nothing of the engine).
__all__ = [
    "browsing",
    "chromium",
    "deliver",
    "fill_everything",
    "follow",
    "links_by_recipient",
    "serving",
    "sign_in",
]


@contextmanager
def serving(
    deps: Deps, settings: Settings, sock: socket.socket, config: WebConfig | None = None
) -> Iterator[None]:
    """The real app on ``sock`` (see ``serve``), without the rate limit unless ``config``
    says otherwise."""
    with serve(create_app(deps, settings, config or WebConfig(rate_limit_enabled=False)), sock):
        yield


@contextmanager
def browsing(deps: Deps, home: Path) -> Iterator[tuple[str, Browser]]:
    """The real app served on a free loopback port (its settings' home ``home``) and headless
    Chromium: the site's base address and the browser."""
    web = bound()
    base = f"http://127.0.0.1:{port_of(web)}"
    with serving(deps, Settings(home=home, base_url=base), web), chromium() as browser:
        yield base, browser


def links_by_recipient(recorder: Recorder, base_url: str, subject: str = "") -> dict[str, str]:
    """The action link in each person's e-mail (those whose subject holds ``subject``)."""
    pattern = re.compile(re.escape(base_url) + r"/act/[A-Za-z0-9_-]{43}")
    found = {}
    for message in recorder.received:
        if subject not in str(message["Subject"]):
            continue
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        match = pattern.search(body.get_content())
        if match:
            found[message["To"].addresses[0].addr_spec] = match.group(0)
    return found


def deliver(deps: Deps, settings: Settings, subject: str = "") -> dict[str, str]:
    recorder = Recorder()
    with smtp_server(recorder) as smtp_port:
        relay(deps, mailer(smtp_port), config=settings, batch=500)
    return links_by_recipient(recorder, settings.base_url, subject)


def sign_in(page: Page, start: str, who: str = "coordinator") -> None:
    """``who`` (the coordinator unless named) signs in through the browser, having been sent
    to sign in from ``start``."""
    page.goto(start)
    assert "/signin" in page.url  # not signed in yet: sent to sign in first
    assert_accessible(page, "the sign-in page")
    page.get_by_label("E-mail address").fill(email(who))
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))
