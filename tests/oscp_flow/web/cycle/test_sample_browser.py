"""The sample pages in real headless Chromium, driven by labels and buttons as the coordinator
would: every state (empty, no file chosen, a file with bad rows, cases that cannot be added,
the check, stored, a confirmation sent twice, a case taken out and one replaced, each with
its refusal) reports no axe-core violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from states.services import audits
from states.services.deps import Deps
from tests.support.accessibility import AxeWalk
from tests.support.browser import browsing, follow, sign_in
from tests.support.partnership import email, give_passwords
from tests.support.terms import record_terms
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
HEADER = "reference,agencies,first_intervention_on,last_intervention_on\n"
FILES = {
    "bad.csv": HEADER + "NV-001,police,,2026-01-05\nJane Doe,police,,2026-01-05\n",
    "unknown.csv": HEADER + "NV-001,police;ambulance,,2026-01-05\n",
    "later.csv": HEADER + "NV-020,csc,,2026-02-01\n",
    "good.csv": HEADER + "NV-001,police;csc,2025-09-01,2026-01-05\nNV-002,police,,2024-06-01\n",
}


def _planned(deps: Deps) -> str:
    reference = audits.start_audit(
        deps, audit_type="mace", theme="Neglect", lead=email("chair"), actor=email("coordinator")
    ).reference
    record_terms(deps, reference)
    audits.fire(deps, audit=reference, trigger="agree_terms_of_reference", actor=email("chair"))
    return reference


def _upload(page: Page, path: Path) -> None:
    page.get_by_label("The cases file (CSV)").set_input_files(str(path))
    follow(page, page.get_by_role("button", name="Upload and check"))


def test_every_state_of_the_sample_pages(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD)
    reference = _planned(deps)
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    axe = AxeWalk()
    with browsing(deps, tmp_path) as (base, browser):
        page = browser.new_page()
        sign_in(page, f"{base}/audits/{reference}/sample")
        _upload_states(page, axe, tmp_path, reference)
        page.goto(f"{base}/audits/{reference}/sample")
        _change_states(page, axe)
    axe.assert_clean()


def _upload_states(page: Page, axe: AxeWalk, tmp_path: Path, reference: str) -> None:
    """Empty, no file, bad rows, cases that cannot be added, the check, stored, sent twice."""
    assert page.get_by_role("heading", name=f"The sample of audit {reference}").is_visible()
    axe.check(page, "no case sampled")

    follow(page, page.get_by_role("button", name="Upload and check"))
    assert "Choose the cases file" in page.locator("#file-error").inner_text()
    axe.check(page, "no file chosen")

    _upload(page, tmp_path / "bad.csv")
    assert "looks like a name" in page.locator("table.data").inner_text()
    axe.check(page, "a file with a bad row")

    _upload(page, tmp_path / "unknown.csv")
    assert "Names agencies the directory does not hold" in page.content()
    axe.check(page, "a case that cannot be added")

    _upload(page, tmp_path / "good.csv")
    assert page.locator("#outside").is_visible()
    axe.check(page, "the check")
    sent = page.locator("input[name=cases]").input_value()
    follow(page, page.get_by_role("button", name="Confirm the sample"))
    assert "2 cases are added" in page.locator("#done").inner_text()
    page.screenshot(path=str(tmp_path / "sample.png"), full_page=True)
    axe.check(page, "stored")

    # The first confirmation sent again (from a later check page, whose token is current).
    _upload(page, tmp_path / "later.csv")
    page.locator("input[name=cases]").evaluate("(e, v) => e.value = v", sent)
    follow(page, page.get_by_role("button", name="Confirm the sample"))
    assert "has already sampled" in page.locator(".error-summary").inner_text()
    axe.check(page, "a confirmation sent twice")


def _change_states(page: Page, axe: AxeWalk) -> None:
    """A case taken out (first with no reason) and one replaced (first by a name)."""
    follow(page, page.get_by_role("link", name="Remove case NV-002"))
    axe.check(page, "taking a case out")
    follow(page, page.get_by_role("button", name="Take the case out"))
    assert "Say why" in page.locator("#reason-error").inner_text()
    axe.check(page, "taking a case out, no reason")
    page.get_by_label("Why is the case being taken out?").fill("No intervention in the window")
    follow(page, page.get_by_role("button", name="Take the case out"))
    assert "taken out" in page.locator("#done").inner_text()
    axe.check(page, "a case taken out")

    follow(page, page.get_by_role("link", name="Replace case NV-001"))
    page.get_by_text("Agency codes").click()
    axe.check(page, "replacing a case")
    page.get_by_label("The new case's reference").fill("Jane Doe")
    page.get_by_label("Agencies involved").fill("police;csc")
    page.get_by_label("Last intervention").fill("2026-02-01")
    page.get_by_label("Why is the case being replaced?").fill("Closed before the window")
    follow(page, page.get_by_role("button", name="Replace the case"))
    assert "looks like a name" in page.locator("#reference-error").inner_text()
    axe.check(page, "replacing a case, a name typed")
    page.get_by_label("The new case's reference").fill("NV-010")
    follow(page, page.get_by_role("button", name="Replace the case"))
    assert "replaced" in page.locator("#done").inner_text()
    assert "NV-010" in page.locator("table.data").inner_text()
    axe.check(page, "a case replaced")
