"""In real headless Chromium: a coordinator signs in, sees the programme board, opens an
audit whose diagram fills its current state, and reads the theme view, then signs out.
Every page reached is checked by axe-core.
Screenshots are kept in the test's temporary folder (issue 6's coordinator-page screenshot
is ``board.png``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page

from oscp_flow.rehearsal.walkthrough import rehearse
from oscp_flow.settings import Settings
from states.services import programme
from states.services.deps import Deps
from tests.conftest import ROOT
from tests.support.accessibility import assert_accessible
from tests.support.browser import chromium, deliver, follow, serving, sign_in
from tests.support.partnership import agency_name, email, give_passwords
from tests.support.ports import bound, port_of
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
POLICE = agency_name("police")
# The --oscp-blue of site.css, as the browser computes the current state's fill.
CURRENT_FILL = "rgb(29, 63, 122)"
BLANK_FILL = "rgb(255, 255, 255)"


def fill_of(page: Page, selector: str) -> str:
    fill = page.locator(selector).evaluate("element => getComputedStyle(element).fill")
    assert isinstance(fill, str)
    return fill


def test_board_audit_page_and_themes(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    programme.load_programme(deps, ROOT / "definitions" / "programme" / "oscp-2025-28.yaml")
    reference = rehearse(deps, "mace", goal="awaiting_sign_off").reference
    planned = programme.start_from_programme(
        deps, key="syv-mace", lead=email("chair"), actor=email("coordinator")
    ).reference
    give_passwords(deps, PASSWORD)
    web = bound()
    port = port_of(web)
    base = f"http://127.0.0.1:{port}"
    with serving(deps, Settings(home=tmp_path, base_url=base), web), chromium() as browser:
        page = browser.new_page()
        sign_in(page, f"{base}/board")
        assert page.url == f"{base}/board"
        assert page.get_by_role("heading", name="Programme board").is_visible()
        assert page.locator("#programme + .table-wrap tbody tr").count() == 15
        due = page.locator("#due + .table-wrap").inner_text()
        assert "Serious Youth Violence Multi agency audit" in due and planned in due
        assert reference in page.locator("#awaiting + .table-wrap").inner_text()
        page.screenshot(path=str(tmp_path / "board.png"), full_page=True)
        assert_accessible(page, "the programme board")

        follow(page, page.get_by_role("link", name=reference).first)
        assert page.url == f"{base}/audits/{reference}"
        current = page.locator("svg.diagram g.current")
        assert current.count() == 1
        assert current.get_attribute("id") == "state-awaiting_sign_off"
        assert fill_of(page, "svg.diagram g.current rect") == CURRENT_FILL
        assert fill_of(page, "#state-closed rect") == BLANK_FILL
        assert page.locator("svg.diagram g.state").count() == 14
        page.screenshot(path=str(tmp_path / "audit.png"), full_page=True)
        assert_accessible(page, "an audit awaiting sign-off")

        follow(page, page.get_by_role("link", name="Themes across audits"))
        assert page.get_by_role("heading", name="Themes across audits").is_visible()
        assert page.locator("svg.bar").count() > 0
        assert POLICE in page.content()
        page.screenshot(path=str(tmp_path / "themes.png"), full_page=True)
        assert_accessible(page, "the themes")

        follow(page, page.get_by_role("button", name="Sign out"))
        assert "You have signed out" in page.content()
        assert_accessible(page, "signed out")
        page.goto(f"{base}/board")
        assert "/signin" in page.url


def test_an_action_added_and_its_evidence_sent_back_from_the_audit_page(
    partnership: Deps, tmp_path: Path
) -> None:
    """The coordinator adds an action on the audit page; its agency is e-mailed a link and
    sends evidence; the coordinator sends it back (a reason is needed), and the relay e-mails
    the agency's lead a new link whose page shows the reason."""
    deps = partnership
    reference = rehearse(deps, "mace", goal="actions_agreed").reference
    give_passwords(deps, PASSWORD)
    web = bound()
    port = port_of(web)
    settings = Settings(home=tmp_path, base_url=f"http://127.0.0.1:{port}")
    due = (deps.clock.now() + timedelta(days=30)).date().isoformat()
    with serving(deps, settings, web), chromium() as browser:
        page = browser.new_page()
        sign_in(page, f"{settings.base_url}/audits/{reference}")
        assert_accessible(page, "an audit signed off, before any action")
        page.get_by_label("The action").fill("Re-audit strategy discussions.")
        page.get_by_label("Agency that owns it").select_option(label=POLICE)
        page.get_by_label("Due by").fill(due)
        follow(page, page.get_by_role("button", name="Add the action"))
        assert page.locator("#added").is_visible()
        assert_accessible(page, "an action added")
        first = deliver(deps, settings)["lead.police@example.org"]
        agency = browser.new_page()  # the agency's own browser: no session
        agency.goto(first)
        assert_accessible(agency, "the action page")
        agency.get_by_label("Evidence that the action has made a difference").fill(
            "A new attendance policy."
        )
        follow(agency, agency.get_by_role("button", name="Send the evidence"))

        page.reload()
        assert "A new attendance policy." in page.locator("section.evidence").inner_text()
        assert_accessible(page, "evidence to review")
        page.get_by_label(f"Send it back to {POLICE}").check()
        follow(page, page.get_by_role("button", name="Record the review of action 1"))
        problem = page.locator("#action-problem").inner_text()
        assert "Say why the evidence does not yet show" in problem
        assert_accessible(page, "a review refused")
        page.get_by_label(f"Send it back to {POLICE}").check()
        page.get_by_label("Reason").fill("Show that the policy changed attendance.")
        follow(page, page.get_by_role("button", name="Record the review of action 1"))
        assert page.url.endswith(f"/audits/{reference}?sent_back=1#actions")
        assert "e-mailed a new link" in page.locator("#reviewed").inner_text()
        page.screenshot(path=str(tmp_path / "reviewed.png"), full_page=True)
        assert_accessible(page, "evidence sent back")

        agency.goto(deliver(deps, settings)["lead.police@example.org"])
        assert (
            "Show that the policy changed attendance." in agency.locator("#sent-back").inner_text()
        )
        agency.screenshot(path=str(tmp_path / "sent-back.png"), full_page=True)
        assert_accessible(agency, "the action page, evidence sent back")


def test_a_coordinator_changes_their_password(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD)
    web = bound()
    port = port_of(web)
    base = f"http://127.0.0.1:{port}"
    with serving(deps, Settings(home=tmp_path, base_url=base), web), chromium() as browser:
        page = browser.new_page()
        sign_in(page, f"{base}/board")
        follow(page, page.get_by_role("link", name="Change password"))
        assert_accessible(page, "the password page")
        page.get_by_label("Your current password").fill(PASSWORD)
        page.get_by_label("New password", exact=True).fill("a brand new passphrase")
        page.get_by_label("New password again").fill("a brand new passphrase!")
        follow(page, page.get_by_role("button", name="Change my password"))
        assert "its repeat differ" in page.locator(".error-summary").inner_text()
        assert_accessible(page, "a new password refused")
        page.get_by_label("Your current password").fill(PASSWORD)
        page.get_by_label("New password", exact=True).fill("a brand new passphrase")
        page.get_by_label("New password again").fill("a brand new passphrase")
        follow(page, page.get_by_role("button", name="Change my password"))
        assert page.url == f"{base}/account/password?changed=1"
        assert page.locator("#changed").is_visible()
        page.screenshot(path=str(tmp_path / "password-changed.png"), full_page=True)
        assert_accessible(page, "the password changed")
        follow(page, page.get_by_role("link", name="Programme board"))
        assert page.url == f"{base}/board"  # still signed in, with the new session
