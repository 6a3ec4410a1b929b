"""Every page the web app serves, in real headless Chromium, reports no axe-core violation.

The other browser tests check the pages on their own paths (a sign-off approved, a return
refused then submitted, an action under way then evidenced, a feedback letter read, the board,
an audit, the themes, a password changed, the people pages). This module walks every page and
state they leave out: each link's page with its errors, what it says once done and every
refusal (404, 409, 410, 403, 429, 400); the coordinator pages signed in as each kind of person,
with every error they can show. One browser serves the module; each test walks its pages and
fails once at the end, naming every page and rule broken.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from oscp_flow.rehearsal.demo import email, give_demo_passwords
from oscp_flow.rehearsal.walkthrough import rehearse
from oscp_flow.settings import Settings
from oscp_flow.web.config import WebConfig
from states.clock import FakeClock
from states.persistence import tables as t
from states.persistence.vocabulary import LinkPurpose
from states.services import action_links, actions, people, programme, work
from states.services.deps import Deps
from tests.conftest import ROOT
from tests.oscp_flow.web.support import (
    action_link,
    action_token,
    audit_id,
    mint,
    person,
    resubmitted_links,
    sign_off_links,
)
from tests.support.accessibility import AxeWalk
from tests.support.browser import chromium, fill_everything, follow, serving
from tests.support.ports import bound, port_of
from tests.support.reporting import letters_of, s175_with_letters
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
WRONG = "not the password at all"
# A case's form still open (a submitted case shows its answers locked, outside any form).
OPEN_FORM = "form:has(button[value=submit])"
CONCERN = "Strategy discussion did not happen for case C01"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@dataclass
class Walk:
    """One person's browser on the served app: each page it reaches is checked by axe."""

    base: str
    page: Page
    axe: AxeWalk = field(default_factory=AxeWalk)

    def visit(self, path: str, name: str, status: int = 200) -> None:
        response = self.page.goto(path if path.startswith("http") else self.base + path)
        assert response is not None and response.status == status, (name, response)
        self.axe.check(self.page, name)

    def press(self, button: str, name: str, status: int = 200) -> None:
        """Presses a form's button and checks the page the browser lands on."""
        with self.page.expect_navigation() as landed:
            self.page.get_by_role("button", name=button).first.click()
        response = landed.value
        assert response is not None and response.status == status, (name, response)
        self.axe.check(self.page, name)

    def sign_in(self, who: str, password: str = PASSWORD, status: int = 200) -> None:
        self.page.get_by_label("E-mail address").fill(email(who))
        self.page.get_by_label("Password").fill(password)
        with self.page.expect_navigation() as landed:
            self.page.get_by_role("button", name="Sign in").click()
        assert landed.value is not None and landed.value.status == status


@contextmanager
def walking(
    browser: Browser, deps: Deps, home: Path, config: WebConfig | None = None
) -> Iterator[Walk]:
    """The app served on loopback, and a fresh browser context (no cookies) to walk it."""
    web = bound()
    port = port_of(web)
    base = f"http://127.0.0.1:{port}"
    with serving(deps, Settings(home=home, base_url=base), web, config=config):
        context = browser.new_context()
        try:
            yield Walk(base, context.new_page())
        finally:
            context.close()


@pytest.fixture
def walk(browser: Browser, partnership: Deps, tmp_path: Path) -> Iterator[Walk]:
    with walking(browser, partnership, tmp_path) as started:
        yield started


# --- pages behind e-mailed links ------------------------------------------------------------


def test_sign_off_refused_and_every_refusal_page(
    partnership: Deps, clock: FakeClock, walk: Walk
) -> None:
    """The frozen report above the decision (and, after a resubmission, what changed since
    the version refused); a refusal needs a comment; once refused the link says what was decided
    and the other members' links are no longer needed (410); a forged link (404), a form sent
    without its cookie (403), a form naming no step (400), an address that is no page (404),
    and an expired link (410)."""
    _, links = sign_off_links(partnership)
    walk.visit(f"/act/{links['lhm']}", "sign-off page")
    _, resubmitted = resubmitted_links(partnership)
    walk.visit(f"/act/{resubmitted['lsp.health']}", "sign-off page showing what changed")
    walk.page.get_by_label("Refuse: I need further assurance first").check()
    walk.press("Send my decision", "sign-off refused without a comment", status=400)
    walk.page.get_by_label("Comment (needed if you refuse)").fill("Show the health findings.")
    walk.press("Send my decision", "sign-off refused: done")
    assert "Your refusal and comment are recorded" in walk.page.content()
    # The decided member's link says what they decided; the other members' links say the
    # report went back to the chair: neither asks anyone to reload and try again.
    walk.visit(f"/act/{resubmitted['lsp.health']}", "link already used: what was decided")
    assert "You have already decided" in walk.page.content()
    walk.visit(f"/act/{resubmitted['lsp.council']}", "410 link no longer needed", status=410)
    walk.visit(f"/act/{secrets.token_urlsafe(32)}", "404 forged link", status=404)
    walk.visit("/act/not/a/page", "404 no such page under a link", status=404)

    _, action = action_link(partnership)
    walk.visit(f"/act/{action}", "action page, open")
    walk.page.context.clear_cookies()  # the form's cookie is gone: refused before anything
    walk.press("Send the evidence", "403 form refused", status=403)
    walk.visit(f"/act/{action}", "action page, open again")
    walk.page.locator("input[name=step]").first.evaluate("field => field.value = 'other'")
    walk.press("The action is under way", "400 could not be done", status=400)

    clock.advance(timedelta(days=400))
    walk.visit(f"/act/{action}", "410 link expired", status=410)
    walk.axe.assert_clean()


def test_returns_by_case_saved_refused_and_submitted(partnership: Deps, walk: Walk) -> None:
    """A Section 11 return saved as a draft; a case-file audit's three cases: one refused with
    its errors, then each submitted (the submitted answers shown locked) until the link is
    used up; and an immediate-risk concern's assurance, refused empty and then given."""
    section_11 = rehearse(partnership, "section_11", goal="returns_open").reference
    walk.visit(
        f"/act/{mint(partnership, LinkPurpose.RETURN, section_11, 'lead.police')}", "return form"
    )
    walk.page.locator("textarea").first.fill("Policy reviewed in January.")
    walk.press("Save draft", "return saved as a draft")

    mace = rehearse(partnership, "mace", goal="returns_open").reference
    walk.visit(
        f"/act/{mint(partnership, LinkPurpose.RETURN, mace, 'lead.police')}", "case audit returns"
    )
    walk.press("Submit", "case audit refused with its errors", status=400)
    fill_everything(walk.page.locator(OPEN_FORM).first)
    walk.press("Submit", "case audit, one case submitted")
    walk.page.locator("details summary").first.click()  # the browser's own disclosure
    assert walk.page.locator("fieldset.locked").first.is_visible()
    walk.axe.check(walk.page, "case audit, a submitted case shown locked")
    fill_everything(walk.page.locator(OPEN_FORM).first)
    walk.press("Submit", "case audit, two cases submitted")
    fill_everything(walk.page.locator(OPEN_FORM).first)
    walk.press("Submit", "case audits all submitted: done")
    assert "so the link is used up" in walk.page.content()

    escalation = work.raise_immediate_risk(
        partnership, audit=mace, actor=email("auditor.two"), agency="police", concern=CONCERN
    )
    assurance = mint(
        partnership, LinkPurpose.ASSURANCE, mace, "lsp.police", escalation_id=escalation
    )
    walk.visit(f"/act/{assurance}", "assurance page")
    walk.press("Send the assurance", "assurance refused empty", status=400)
    walk.page.get_by_label("Your agency's assurance").fill("A strategy meeting is booked.")
    walk.press("Send the assurance", "assurance given: done")
    assert "Your assurance is recorded" in walk.page.content()
    walk.axe.assert_clean()


def test_actions_and_letters(partnership: Deps, walk: Walk) -> None:
    """An action whose evidence was accepted is no longer owed (410); a setting reads the
    summary to all settings, on its page and as frozen."""
    reference, token = action_link(partnership)
    colleague = action_token(partnership, reference, "lsp.police")
    walk.visit(f"/act/{token}", "action page")
    walk.page.get_by_label("Evidence that the action has made a difference").fill("Re-audited.")
    walk.press("Send the evidence", "action evidence sent: done")
    actions.accept_evidence(partnership, audit=reference, actor=email("chair"), number=1)
    walk.visit(f"/act/{colleague}", "410 action accepted", status=410)

    s175 = s175_with_letters(partnership)
    code = sorted(letters_of(partnership, s175))[0]  # a setting that took part
    summary_id = _summary_to_all(partnership, s175)
    lead = {"police": "lead.police", "csc": "lead.csc", "community_health": "lead.health"}[code]
    walk.visit(
        f"/act/{mint(partnership, LinkPurpose.LETTER, s175, lead, report_id=summary_id)}", "summary"
    )
    follow(walk.page, walk.page.get_by_role("link", name="Read the summary"))
    walk.axe.check(walk.page, "summary to all settings, as frozen")
    walk.axe.assert_clean()


def test_the_rate_limited_link_page(browser: Browser, partnership: Deps, tmp_path: Path) -> None:
    _, token = action_link(partnership)
    config = WebConfig(rate_limit="1/minute")
    with walking(browser, partnership, tmp_path, config) as walk:
        walk.visit(f"/act/{token}", "action page before the limit")
        walk.visit(f"/act/{token}", "429 too many requests", status=429)
        assert "Wait a minute" in walk.page.content()
        walk.axe.assert_clean()


# --- the coordinator pages ------------------------------------------------------------------


def test_every_coordinator_page(partnership: Deps, clock: FakeClock, walk: Walk) -> None:
    deps = partnership
    give_demo_passwords(deps, PASSWORD)
    programme.load_programme(deps, ROOT / "definitions" / "programme" / "oscp-2025-28.yaml")
    open_audit = rehearse(deps, "mace", goal="returns_open").reference
    work.raise_immediate_risk(
        deps, audit=open_audit, actor=email("auditor.two"), agency="police", concern=CONCERN
    )
    finished = rehearse(deps, "dip_sample", goal="closed").reference
    signed_off, _ = action_link(deps)
    evidence = action_token(deps, signed_off, "lead.csc", number=2)
    action_links.submit_evidence_by_link(deps, evidence, evidence="Re-audited in March.")
    actions.accept_evidence(deps, audit=signed_off, actor=email("chair"), number=2)
    clock.advance(timedelta(days=60))  # the open audit's deadlines are overdue

    walk.visit("/signin", "sign in")
    walk.press("Sign in", "sign in with nothing typed", status=400)
    for _ in range(3):
        walk.sign_in("lhm", WRONG, status=400)
    walk.axe.check(walk.page, "sign in refused")
    walk.sign_in("lhm", WRONG, status=429)
    walk.axe.check(walk.page, "429 sign in held back")
    walk.sign_in("coordinator")
    assert open_audit in walk.page.locator("#overdue + .table-wrap").inner_text()
    walk.axe.check(walk.page, "board with overdue audits")

    walk.visit(f"/audits/{open_audit}", "audit with returns open and a concern raised")
    assert "assurance overdue" in walk.page.content()
    walk.visit(f"/audits/{finished}", "audit finished")
    assert "this audit has finished" in walk.page.content()
    walk.visit(f"/audits/{signed_off}", "audit signed off, with actions")
    walk.press("Add the action", "audit, an action refused", status=400)
    walk.visit("/audits/AUD-NOSUCH", "404 no such audit", status=404)
    walk.visit("/nowhere", "404 no such page", status=404)
    walk.visit("/signout", "405 not that way", status=405)

    walk.visit("/people", "people")
    walk.visit(f"/people/{person(deps, 'lead.police')}", "a person")
    lead = person(deps, "lead.csc")
    people.deactivate_person(deps, person=lead, actor=email("coordinator"), reason="Left")
    walk.visit(f"/people/{lead}", "a person removed")
    walk.visit("/account/password", "password")
    walk.press("Change my password", "password refused", status=400)
    walk.page.context.clear_cookies()  # the form's cookie and the session are gone
    walk.press("Change my password", "403 form refused", status=403)

    walk.visit("/signin", "sign in as a member")
    walk.sign_in("chair")
    walk.axe.check(walk.page, "board for a learning hub member")
    walk.visit(f"/people/{lead}", "403 not a coordinator", status=403)
    walk.axe.assert_clean()


def _summary_to_all(deps: Deps, reference: str) -> int:
    with deps.uow(readonly=True) as uow:
        found = uow.connection.execute(
            select(t.report.c.id).where(
                t.report.c.audit_id == audit_id(deps, reference),
                t.report.c.kind == "summary_to_all",
            )
        ).scalar_one()
    return int(found)
