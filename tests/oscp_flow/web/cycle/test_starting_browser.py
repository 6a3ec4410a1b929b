"""Starting an audit in real headless Chromium, driven by labels and buttons as a coordinator
would: the question page, sent with answers missing, sent refused by the engine, the start
said on its own page, and a start from the programme board's entry; each page reports no
axe-core violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from states.rules.directory import AgencyKind, Phase
from states.services import partnership as directory
from states.services import programme
from states.services.deps import Deps
from tests.conftest import ROOT
from tests.support.accessibility import AxeWalk
from tests.support.browser import browsing, follow, sign_in
from tests.support.partnership import agency_name, give_passwords, person_name
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
PROGRAMME = ROOT / "definitions" / "programme" / "oscp-2025-28.yaml"


def _press(page: Page, button: str) -> None:
    follow(page, page.get_by_role("button", name=button))


def test_every_state_of_starting_an_audit(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD, people=("coordinator",))
    programme.load_programme(deps, PROGRAMME)
    directory.add_agency(
        deps,
        code="s1",
        name="Northvale Primary",
        kind=AgencyKind.SCHOOL,
        urn="100001",
        phase=Phase.PRIMARY,
    )
    axe = AxeWalk()
    with browsing(deps, tmp_path) as (base, browser):
        page = browser.new_page()
        sign_in(page, f"{base}/board")
        follow(page, page.get_by_role("link", name="Start an audit"))
        assert page.get_by_role("heading", name="Start an audit").is_visible()
        axe.check(page, "the start page")

        page.get_by_label("Theme").fill("Neglect")
        page.get_by_label(agency_name("police")).check()
        page.get_by_text("Or choose schools and settings one by one").click()
        page.get_by_label("Northvale Primary (URN 100001)").check()
        _press(page, "Start the audit")
        assert page.locator(".error-summary").is_visible()
        assert page.locator("#audit_type-error").is_visible()
        assert page.locator("#chair-error").is_visible()
        assert page.get_by_label("Theme").input_value() == "Neglect"
        assert page.get_by_label(agency_name("police")).is_checked()
        assert page.get_by_label("Northvale Primary (URN 100001)").is_checked()
        axe.check(page, "the start page with answers missing")

        page.get_by_label("Thematic multi-agency case file audit (MACE)").check()
        page.get_by_label("Chair").select_option(label=person_name("chair"))
        # Past the engine's limit, which the field's own maxlength would stop a person at.
        page.get_by_label("Theme").evaluate("field => field.removeAttribute('maxlength')")
        page.get_by_label("Theme").fill("x" * 201)
        _press(page, "Start the audit")
        assert "Give the audit a theme" in page.locator("#start-error").inner_text()
        axe.check(page, "the start page refused by the engine")

        page.get_by_label("Theme").fill("Neglect")
        page.get_by_label("Section 11 self-assessment audit").check()
        page.get_by_label(agency_name("housing")).check()
        _press(page, "Start the audit")
        assert page.get_by_role("heading", name="is started").is_visible()
        assert agency_name("housing") in page.locator("#unasked").inner_text()
        axe.check(page, "an audit started, with nobody to ask in one agency")

        page.goto(f"{base}/board")
        follow(page, page.get_by_role("link", name="Start the audit for syv-mace").first)
        assert page.get_by_role("heading", name="programme entry syv-mace").is_visible()
        axe.check(page, "the start page for a programme entry")
        page.get_by_label("Chair").select_option(label=person_name("chair"))
        _press(page, "Start the audit")
        assert page.get_by_role("heading", name="is started").is_visible()
        follow(page, page.get_by_role("link", name="Record its terms of reference"))
        assert page.get_by_role("heading", name="Terms of reference", exact=True).is_visible()
    axe.assert_clean()
