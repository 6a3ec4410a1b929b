"""In real headless Chromium: a sign-off e-mail is captured from a real SMTP server, its link
opened and the decision submitted, and the audit moves on; a member reads the frozen report
on the sign-off page, downloads its PDF and approves; a return form is refused with its
errors, then completed and submitted. Every page reached is checked by axe-core
(``tests/oscp_flow/web/test_accessibility.py`` walks the rest). Screenshots are kept in the
test's temporary folder."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page

from oscp_flow.rehearsal.walkthrough import rehearse
from oscp_flow.settings import Settings
from states.services import actions, queries, report_store, returns
from states.services.deps import Deps
from states.services.letters import send_feedback_letters
from tests.support.accessibility import assert_accessible
from tests.support.browser import chromium, deliver, fill_everything, follow, serving
from tests.support.ports import bound, port_of
from tests.support.reporting import pdf_text, s175_with_letters

pytestmark = pytest.mark.slow


def approve(page: Page, link: str, shot: Path) -> None:
    page.goto(link)
    assert_accessible(page, "the sign-off page")
    page.get_by_label(re.compile("approve", re.I)).first.check()
    page.screenshot(path=str(shot))
    follow(page, page.locator("button[type=submit]").first)
    assert_accessible(page, "the approval recorded")


def test_sign_off_by_emailed_link(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    reference = rehearse(deps, "mace", goal="awaiting_sign_off").reference
    web = bound()
    port = port_of(web)
    settings = Settings(home=tmp_path, base_url=f"http://127.0.0.1:{port}")
    with serving(deps, settings, web):
        sent = deliver(deps, settings)
        members = {"lhm", "lsp.police", "lsp.council", "lsp.health"}
        assert {f"{m}@example.org" for m in members} <= set(sent)
        with chromium() as browser:
            page = browser.new_page()
            approve(page, sent["lhm@example.org"], tmp_path / "sign-off-1.png")
            assert _state(deps, reference) == "awaiting_sign_off"
            approve(page, sent["lsp.police@example.org"], tmp_path / "sign-off-2.png")
            assert _state(deps, reference) == "awaiting_sign_off"  # two statutory partners
            approve(page, sent["lsp.council@example.org"], tmp_path / "sign-off-3.png")
            page.screenshot(path=str(tmp_path / "signed-off.png"))
            # The same link again: already used; it says what happened, and nothing changes.
            response = page.goto(sent["lhm@example.org"])
            assert response is not None and response.status == 200
            assert "You approved this on" in page.content()
            assert_accessible(page, "a used sign-off link")
            response = page.goto(sent["lsp.health@example.org"])
            assert response is not None and response.status == 410
            assert "was signed off on" in page.content()
            assert_accessible(page, "a sign-off link no longer needed")
    assert _state(deps, reference) == "actions_agreed"


def test_a_member_reads_the_frozen_report_downloads_it_and_approves(
    partnership: Deps, tmp_path: Path
) -> None:
    """The e-mailed link opens the report frozen when it was submitted, on the page above the
    decision, with its fingerprint; its PDF downloads from the same link; then the member
    approves."""
    deps = partnership
    reference = rehearse(deps, "mace", goal="awaiting_sign_off").reference
    frozen = report_store.latest(deps, audit=reference)
    assert frozen is not None and frozen.content_hash is not None
    web = bound()
    settings = Settings(home=tmp_path, base_url=f"http://127.0.0.1:{port_of(web)}")
    with serving(deps, settings, web):
        link = deliver(deps, settings)["lhm@example.org"]
        with chromium() as browser:
            page = browser.new_page(accept_downloads=True)
            page.goto(link)
            assert_accessible(page, "the sign-off page with the frozen report")
            report = page.get_by_role("article", name="Summary report: Rehearsal, version 1")
            assert report.is_visible()
            assert report.get_by_role("heading", name="Recommendations about the most").count()
            assert "Other children in the household" in report.inner_text()
            assert page.locator("code.hash").inner_text() == frozen.content_hash
            # The report comes before the decision, as the page is read.
            above = page.evaluate(
                "() => document.querySelector('article.frozen-report')"
                ".compareDocumentPosition(document.querySelector('form')) & 4"
            )
            assert above
            page.screenshot(path=str(tmp_path / "sign-off-report.png"), full_page=True)

            with page.expect_download() as downloading:
                page.get_by_role("link", name="Download the report as a PDF").click()
            download = downloading.value
            assert download.suggested_filename == f"{reference}-summary-report-v1.pdf"
            pdf = Path(download.path()).read_bytes()
            words = pdf_text(pdf, tmp_path)
            assert "Other children in the household were not always considered." in words

            page.get_by_label(re.compile("approve", re.I)).first.check()
            follow(page, page.get_by_role("button", name="Send my decision"))
            assert "Your approval is recorded" in page.content()
            assert_accessible(page, "the approval recorded")
    assert queries.history(deps, audit=reference)[-1].trigger == "record_approve"


def _state(deps: Deps, reference: str) -> str:
    return queries.audit_status(deps, audit=reference, as_person="coordinator@example.org").state


def test_a_return_form_with_an_error_then_submitted(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    reference = rehearse(deps, "section_11", goal="returns_open").reference
    web = bound()
    port = port_of(web)
    settings = Settings(home=tmp_path, base_url=f"http://127.0.0.1:{port}")
    with serving(deps, settings, web):
        link = deliver(deps, settings)["lead.police@example.org"]
        with chromium() as browser:
            page = browser.new_page()
            page.goto(link)
            assert_accessible(page, "the return form")
            follow(page, page.get_by_role("button", name="Submit"))
            page.screenshot(path=str(tmp_path / "return-errors.png"), full_page=True)
            assert page.locator("[aria-invalid=true]").count() > 0
            assert "needs an answer" in page.content()
            assert_accessible(page, "the return refused with its errors")
            fill_everything(page)
            follow(page, page.get_by_role("button", name="Submit"))
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
    web = bound()
    port = port_of(web)
    settings = Settings(home=tmp_path, base_url=f"http://127.0.0.1:{port}")
    with serving(deps, settings, web):
        sent = deliver(deps, settings)
        assert set(sent) == {"lead.police@example.org", "lsp.police@example.org"}
        with chromium() as browser:
            page = browser.new_page()
            page.goto(sent["lead.police@example.org"])
            assert "Re-audit strategy discussions" in page.content()
            page.screenshot(path=str(tmp_path / "action.png"), full_page=True)
            assert_accessible(page, "the action page")
            # Pressed as found (a scanner would): refused until the box is ticked.
            follow(page, page.get_by_role("button", name="The action is under way"))
            assert page.locator("#under_way[aria-invalid=true]").count() == 1
            assert_accessible(page, "the action page refusing an unticked box")
            page.get_by_label("My agency has started on action 1").check()
            follow(page, page.get_by_role("button", name="The action is under way"))
            assert_accessible(page, "the action under way")
            follow(page, page.get_by_role("link", name="the same link"))
            assert_accessible(page, "the action page, under way")
            follow(page, page.get_by_role("button", name="Send the evidence"))
            assert page.locator("#evidence[aria-invalid=true]").count() == 1
            assert_accessible(page, "the action page refusing empty evidence")
            page.get_by_label("Evidence that the action has made a difference").fill(
                "Re-audit of 20 strategy discussions: every invited agency attended."
            )
            follow(page, page.get_by_role("button", name="Send the evidence"))
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
    web = bound()
    port = port_of(web)
    settings = Settings(home=tmp_path, base_url=f"http://127.0.0.1:{port}")
    with serving(deps, settings, web):
        sent = deliver(deps, settings, subject="Your feedback letter")
        lead = next(to for to in sent if to.startswith("lead."))
        with chromium() as browser:
            page = browser.new_page(accept_downloads=True)
            page.goto(sent[lead])
            assert_accessible(page, "the letter link's page")
            follow(page, page.get_by_role("link", name="Read the letter"))
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
