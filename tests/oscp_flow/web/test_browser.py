"""In real headless Chromium: a sign-off e-mail is captured from a real SMTP server, its link
opened and the decision submitted, and the audit moves on; a return form is refused with its
errors, then completed and submitted. Every page reached is checked by axe-core
(``tests/oscp_flow/web/test_accessibility.py`` walks the rest). Screenshots are kept in the
test's temporary folder."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Locator, Page, sync_playwright

from notifications.relay import relay
from oscp_flow.settings import Settings
from oscp_flow.walkthrough import rehearse
from oscp_flow.web.app import create_app
from oscp_flow.web.config import WebConfig
from states.services import actions, queries, returns
from states.services.deps import Deps
from states.services.letters import send_feedback_letters
from tests.notifications.test_relay import Recorder, free_port, mailer, smtp_server
from tests.reporting import s175_with_letters
from tests.support.accessibility import assert_accessible

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.slow


@contextmanager
def serving(
    deps: Deps, settings: Settings, port: int, config: WebConfig | None = None
) -> Iterator[None]:
    """The real app under uvicorn on loopback, in a thread, for as long as the test needs
    (without the rate limit, unless ``config`` says otherwise)."""
    app = create_app(deps, settings, config or WebConfig(rate_limit_enabled=False))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:  # polling a real server's start, not waiting on a clock
        assert time.monotonic() < deadline, "the web app did not start"
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(20)


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


def approve(page: Page, link: str, shot: Path) -> None:
    page.goto(link)
    assert_accessible(page, "the sign-off page")
    page.get_by_label(re.compile("approve", re.I)).first.check()
    page.screenshot(path=str(shot))
    page.locator("button[type=submit]").first.click()
    page.wait_for_load_state()
    assert_accessible(page, "the approval recorded")


def test_sign_off_by_emailed_link(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    reference = rehearse(deps, "mace", goal="awaiting_sign_off").reference
    port = free_port()
    settings = Settings(home=tmp_path, base_url=f"http://127.0.0.1:{port}")
    with serving(deps, settings, port):
        sent = deliver(deps, settings)
        assert {"lhm@example.org", "lsp.police@example.org"} <= set(sent)
        with chromium() as browser:
            page = browser.new_page()
            approve(page, sent["lhm@example.org"], tmp_path / "sign-off-1.png")
            assert _state(deps, reference) == "awaiting_sign_off"
            approve(page, sent["lsp.police@example.org"], tmp_path / "sign-off-2.png")
            page.screenshot(path=str(tmp_path / "signed-off.png"))
            # The same link again: already used, and nothing changes.
            response = page.goto(sent["lhm@example.org"])
            assert response is not None and response.status in (409, 410)
            assert_accessible(page, "a used sign-off link")
    assert _state(deps, reference) == "actions_agreed"


def _state(deps: Deps, reference: str) -> str:
    return queries.audit_status(deps, audit=reference, as_person="coordinator@example.org").state


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


def test_a_return_form_with_an_error_then_submitted(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    reference = rehearse(deps, "section_11", goal="returns_open").reference
    port = free_port()
    settings = Settings(home=tmp_path, base_url=f"http://127.0.0.1:{port}")
    with serving(deps, settings, port):
        link = deliver(deps, settings)["lead.police@example.org"]
        with chromium() as browser:
            page = browser.new_page()
            page.goto(link)
            assert_accessible(page, "the return form")
            page.get_by_role("button", name="Submit").click()
            page.wait_for_load_state()
            page.screenshot(path=str(tmp_path / "return-errors.png"), full_page=True)
            assert page.locator("[aria-invalid=true]").count() > 0
            assert "needs an answer" in page.content()
            assert_accessible(page, "the return refused with its errors")
            fill_everything(page)
            page.get_by_role("button", name="Submit").click()
            page.wait_for_load_state()
            page.screenshot(path=str(tmp_path / "return-submitted.png"), full_page=True)
            assert_accessible(page, "the return submitted")
    view = returns.read(deps, audit=reference, actor="coordinator@example.org", agency="police")
    assert view.status == "submitted"


def test_action_evidence_by_emailed_link(partnership: Deps, tmp_path: Path) -> None:
    """The chair adds an action; the relay e-mails the owner agency's leads their own links;
    the lead says it is under way, then sends the evidence; the same link again is refused."""
    deps = partnership
    reference = rehearse(deps, "mace", goal="actions_agreed").reference
    actions.add_action(
        deps,
        audit=reference,
        actor="chair@example.org",
        recommendation="Re-audit strategy discussions for attendance of every agency invited.",
        owner="police",
        due_on=deps.clock.now().date() + timedelta(days=30),
    )
    port = free_port()
    settings = Settings(home=tmp_path, base_url=f"http://127.0.0.1:{port}")
    with serving(deps, settings, port):
        sent = deliver(deps, settings)
        assert set(sent) == {"lead.police@example.org", "lsp.police@example.org"}
        with chromium() as browser:
            page = browser.new_page()
            page.goto(sent["lead.police@example.org"])
            assert "Re-audit strategy discussions" in page.content()
            page.screenshot(path=str(tmp_path / "action.png"), full_page=True)
            assert_accessible(page, "the action page")
            # Pressed as found (a scanner would): refused until the box is ticked.
            page.get_by_role("button", name="The action is under way").click()
            page.wait_for_load_state()
            assert page.locator("#under_way[aria-invalid=true]").count() == 1
            assert_accessible(page, "the action page refusing an unticked box")
            page.get_by_label("My agency has started on action 1").check()
            page.get_by_role("button", name="The action is under way").click()
            page.wait_for_load_state()
            assert_accessible(page, "the action under way")
            page.get_by_role("link", name="the same link").click()
            page.wait_for_load_state()
            assert_accessible(page, "the action page, under way")
            page.get_by_role("button", name="Send the evidence").click()
            page.wait_for_load_state()
            assert page.locator("#evidence[aria-invalid=true]").count() == 1
            assert_accessible(page, "the action page refusing empty evidence")
            page.get_by_label("Evidence that the action has made a difference").fill(
                "Re-audit of 20 strategy discussions: every invited agency attended."
            )
            page.get_by_role("button", name="Send the evidence").click()
            page.wait_for_load_state()
            page.screenshot(path=str(tmp_path / "action-sent.png"), full_page=True)
            assert "this link is used up" in page.content()
            assert_accessible(page, "the evidence sent")
            response = page.goto(sent["lead.police@example.org"])
            assert response is not None and response.status == 409
            assert_accessible(page, "a used action link")
            colleague = page.goto(sent["lsp.police@example.org"])
            assert colleague is not None and colleague.status == 410
            assert_accessible(page, "a colleague's action link, no longer needed")
    plan = actions.list_actions(deps, audit=reference, as_person="coordinator@example.org")
    assert [(a.status, a.evidence) for a in plan] == [
        (
            "evidence_submitted",
            "Re-audit of 20 strategy discussions: every invited agency attended.",
        )
    ]


def test_a_setting_reads_its_feedback_letter_by_emailed_link(
    partnership: Deps, tmp_path: Path
) -> None:
    """The coordinator sends the letters; each setting's lead gets a link, reads the letter
    styled as frozen (its own CSS allowed, nothing else) and downloads the PDF."""
    deps = partnership
    reference = s175_with_letters(deps)
    send_feedback_letters(deps, audit=reference, actor="coordinator@example.org")
    port = free_port()
    settings = Settings(home=tmp_path, base_url=f"http://127.0.0.1:{port}")
    with serving(deps, settings, port):
        sent = deliver(deps, settings, subject="Your Section 175 feedback letter")
        lead = next(to for to in sent if to.startswith("lead."))
        with chromium() as browser:
            page = browser.new_page(accept_downloads=True)
            page.goto(sent[lead])
            assert_accessible(page, "the letter link's page")
            page.get_by_role("link", name="Read the letter").click()
            page.wait_for_load_state()
            assert "Our feedback to you" in page.content()
            assert_accessible(page, "the feedback letter, as frozen")
            heading = page.locator("h1").first
            assert heading.evaluate("e => getComputedStyle(e).color") == "rgb(29, 60, 110)"
            page.screenshot(path=str(tmp_path / "letter.png"), full_page=True)
            page.go_back()
            with page.expect_download() as caught:
                page.get_by_role("link", name="Download the letter as a PDF").click()
            saved = tmp_path / caught.value.suggested_filename
            caught.value.save_as(saved)
            assert saved.name.startswith(reference) and saved.read_bytes().startswith(b"%PDF")
