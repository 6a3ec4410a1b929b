"""In real headless Chromium (issue 16, item 7): a concern is raised; the relay e-mails the
police's strategic lead through a real SMTP server; the lead opens the link, reads the concern
behind it and answers with assurance; the chair signs in and reads both on the audit page.
Every page reached is checked by axe-core; screenshots are kept in the test's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from oscp_flow.settings import Settings
from states.services import concerns
from states.services.deps import Deps
from tests.support.accessibility import assert_accessible
from tests.support.browser import chromium, deliver, follow, serving
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords, person_name
from tests.support.ports import bound, port_of
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
CONCERN = "Case C01: the child was left with an adult the police had barred from the home."
ASSURANCE = "A strategy discussion was held the next morning and the adult has left the home."


def test_the_strategic_lead_reads_and_answers_and_the_chair_reads_both(
    partnership: Deps, tmp_path: Path
) -> None:
    deps = partnership
    reference = drive(deps, "mace", "returns_open").reference
    give_passwords(deps, PASSWORD)
    web = bound()
    settings = Settings(home=tmp_path, base_url=f"http://127.0.0.1:{port_of(web)}")
    with serving(deps, settings, web), chromium() as browser:
        deliver(deps, settings)  # the return requests, sent before the concern
        concerns.raise_concern(
            deps, audit=reference, actor=email("auditor.two"), agency="police", concern=CONCERN
        )
        sent = deliver(deps, settings, subject="Immediate-risk concern")
        assert set(sent) == {email("lsp.police")}, "only the agency's link opens the concern"

        lead = browser.new_page()  # the strategic lead's own browser: no session
        lead.goto(sent[email("lsp.police")])
        assert lead.locator("#concern-text").inner_text() == CONCERN
        lead.screenshot(path=str(tmp_path / "concern.png"), full_page=True)
        assert_accessible(lead, "the concern behind the strategic lead's link")
        follow(lead, lead.get_by_role("button", name="Send the assurance"))
        assert lead.locator("#assurance[aria-invalid=true]").count() == 1
        assert_accessible(lead, "the concern's page, the assurance refused empty")
        lead.get_by_label("Your agency's assurance").fill(ASSURANCE)
        follow(lead, lead.get_by_role("button", name="Send the assurance"))
        assert "Your assurance is recorded" in lead.content()
        assert CONCERN not in lead.content()
        assert_accessible(lead, "the assurance recorded")

        chair = browser.new_page()
        chair.goto(f"{settings.base_url}/audits/{reference}")
        assert "/signin" in chair.url
        chair.get_by_label("E-mail address").fill(email("chair"))
        chair.get_by_label("Password").fill(PASSWORD)
        follow(chair, chair.get_by_role("button", name="Sign in"))
        section = chair.locator("section.concern").inner_text()
        assert CONCERN in section and ASSURANCE in section
        assert f"Read by the agency through its link: {person_name('lsp.police')}" in section
        chair.screenshot(path=str(tmp_path / "audit-concern.png"), full_page=True)
        assert_accessible(chair, "the audit page with a concern and its assurance")
