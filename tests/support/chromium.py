"""Headless Chromium and the real app under uvicorn on loopback, with nothing of the engine:
what every browser test needs, the end-to-end journeys included (they may reach the product only
through its pages, links and commands)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Locator, Page, sync_playwright

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
def serve(app: FastAPI, sock: socket.socket) -> Iterator[None]:
    """``app`` under uvicorn on ``sock`` (from ``tests.support.ports.bound``, so the port was
    the test's before the app's settings named it), in a thread, for as long as the test
    needs; ``sock`` is closed after."""
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
