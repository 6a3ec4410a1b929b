"""The real app under uvicorn on loopback and headless Chromium to drive it, for tests that need
a browser: serving, the browser, the links the relay e-mails, and forms filled as a person
would."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from playwright.sync_api import Browser, Locator, Page, sync_playwright

from notifications.relay import relay
from oscp_flow.settings import Settings
from oscp_flow.web.app import create_app
from oscp_flow.web.config import WebConfig
from states.services.deps import Deps
from tests.support.accessibility import assert_accessible
from tests.support.partnership import email
from tests.support.smtp import Recorder, mailer, smtp_server
from tests.support.web import PASSWORD

CHROMIUM = "/usr/bin/chromium"
# Generous for two busy cores; a start that fails never sets the event, so this is the wait.
START_TIMEOUT = 20


class _Server(uvicorn.Server):
    """uvicorn's server, saying when it has started: ``started`` is only a flag, so start-up
    sets an event the test waits on instead of polling the flag."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.up = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.up.set()


@contextmanager
def serving(
    deps: Deps, settings: Settings, sock: socket.socket, config: WebConfig | None = None
) -> Iterator[None]:
    """The real app under uvicorn on ``sock`` (from ``tests.support.ports.bound``, so the port
    was the test's before ``settings`` named it), in a thread, for as long as the test needs
    (without the rate limit, unless ``config`` says otherwise); ``sock`` is closed after."""
    app = create_app(deps, settings, config or WebConfig(rate_limit_enabled=False))
    server = _Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    with sock:
        thread.start()
        try:
            assert server.up.wait(START_TIMEOUT), "the web app did not start"
            yield
        finally:
            server.should_exit = True
            thread.join(START_TIMEOUT)


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        try:
            yield browser
        finally:
            browser.close()


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


def fill_everything(page: Page | Locator) -> None:
    """Answer every question (on the page, or in one form) as a person would: first choice,
    a number, a date, some text."""
    for group in page.locator("fieldset:has(input[type=radio])").all():
        group.locator("input[type=radio]").first.check()
    for select in page.locator("select").all():
        select.select_option(index=1)
    for field in page.locator("input[inputmode=decimal]").all():
        field.fill("3")
    for field in page.locator("input[type=date]").all():
        field.fill("2026-02-02")
    for field in page.locator("textarea").all():
        field.fill("Policy reviewed in January; see the safeguarding policy v4.")


def follow(page: Page, target: Locator) -> None:
    """Clicks ``target`` (a form's button, a link) and returns once the page it leads to has
    loaded: on that page's own load event. Asking for the load state after the click may ask
    the page being left, loaded long ago, and go on before the next one has arrived."""
    with page.expect_event("load"):
        target.click()


def sign_in(page: Page, start: str) -> None:
    """The coordinator signs in through the browser, having been sent to sign in from
    ``start``."""
    page.goto(start)
    assert "/signin" in page.url  # not signed in yet: sent to sign in first
    assert_accessible(page, "the sign-in page")
    page.get_by_label("E-mail address").fill(email("coordinator"))
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))
