"""The returns tracker in real headless Chromium, driven by labels and buttons as the
coordinator would: the tracker with a submitted agency and two overdue ones (reminders
sent), a link sent again, a resend refused (the return came in meanwhile), the deadline's
extension refused then done, and a submitted return read, each reporting no axe-core
violation, on a desktop and on a phone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page

from states.clock import LONDON, FakeClock
from states.services import returns
from states.services.deps import Deps
from states.services.return_tracker import tracker
from states.services.sweep import sweep
from tests.support.accessibility import AxeWalk
from tests.support.browser import browsing, follow, sign_in
from tests.support.driver import complete_answers, drive
from tests.support.partnership import email, give_passwords
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
CSC = "Northvale Children's Social Care"


def _submit(deps: Deps, reference: str, agency: str, lead: str, cases: list[str]) -> None:
    tool = deps.catalogue.tool("mace")
    assert tool is not None
    for case in cases:
        returns.submit(
            deps,
            audit=reference,
            actor=email(lead),
            agency=agency,
            case=case,
            answers=complete_answers(tool),
        )


def _overdue(deps: Deps, clock: FakeClock) -> tuple[str, list[str]]:
    """A MACE whose police returns are in and whose deadline passed three days ago, the
    sweep having run each morning (the others reminded and overdue)."""
    driver = drive(deps, "mace", "returns_open")
    reference, cases = driver.reference, list(driver.cases)
    _submit(deps, reference, "police", "lead.police", cases)
    due = tracker(deps, audit=reference, as_person=email("coordinator")).deadline
    assert due is not None
    while clock.now() < due.due_at + timedelta(days=3):
        clock.advance(timedelta(days=1))
        sweep(deps)
    return reference, cases


def _read_a_return(page: Page, axe: AxeWalk, case: str) -> None:
    follow(page, page.get_by_role("link", name="See the returns of Northvale Police"))
    assert page.get_by_role("heading", name="Northvale Police: returns").is_visible()
    axe.check(page, "the police's returns, listed by case")
    follow(page, page.get_by_role("link", name=f"Case {case}"))
    assert page.get_by_role("heading", name=f"Northvale Police: case {case}").is_visible()
    axe.check(page, "one case's return, read-only")


def _press(page: Page, name: str) -> None:
    follow(page, page.get_by_role("button", name=name))


def test_every_state_of_the_returns_tracker(
    partnership: Deps, clock: FakeClock, tmp_path: Path
) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD, people=("coordinator",))
    reference, cases = _overdue(deps, clock)
    later = (clock.now().astimezone(LONDON) + timedelta(days=10)).date().isoformat()
    axe = AxeWalk()
    with browsing(deps, tmp_path) as (base, browser):
        page = browser.new_page()
        sign_in(page, f"{base}/audits/{reference}/returns")
        page.goto(f"{base}/audits/{reference}/returns")
        assert page.get_by_role("heading", name=f"Returns for audit {reference}").is_visible()
        assert page.locator("#deadline-passed").is_visible()
        csc_row = page.get_by_role("row").filter(has_text=CSC)
        assert "Overdue" in csc_row.inner_text() and "5, the last at" in csc_row.inner_text()
        page.screenshot(path=str(tmp_path / "tracker.png"), full_page=True)
        axe.check(page, "tracker: one agency in, two overdue")

        _press(page, f"Resend the link to {CSC}")
        assert (
            "on its way to Northvale Children's Social Care" in page.locator("#done").inner_text()
        )
        axe.check(page, "tracker: a link sent again")

        _submit(deps, reference, "community_health", "lead.health", cases)  # meanwhile
        _press(page, "Resend the link to Northvale Community Health")
        assert "owes no return" in page.locator("#agency-community_health-error").inner_text()
        axe.check(page, "tracker: a resend refused beside its row")

        _press(page, "Extend the deadline")
        assert page.locator("#until-error").is_visible()
        assert page.locator("#reason-error").is_visible()
        axe.check(page, "tracker: an extension refused, nothing typed")

        page.get_by_label("New deadline").fill("2020-01-31")
        page.get_by_label("Why the deadline is extended").fill("Schools closed for half term")
        _press(page, "Extend the deadline")
        assert "still to come" in page.locator("#extend-error").inner_text()
        assert page.get_by_label("Why the deadline is extended").input_value().startswith("Schools")
        axe.check(page, "tracker: an extension refused by the engine")

        page.get_by_label("New deadline").fill(later)
        _press(page, "Extend the deadline")
        assert "The deadline is extended" in page.locator("#done").inner_text()
        assert page.locator("#deadline-passed").count() == 0
        axe.check(page, "tracker: the deadline extended")

        _read_a_return(page, axe, cases[0])

        page.set_viewport_size({"width": 360, "height": 740})
        page.goto(f"{base}/audits/{reference}/returns")
        axe.check(page, "tracker on a phone")
    axe.assert_clean()
