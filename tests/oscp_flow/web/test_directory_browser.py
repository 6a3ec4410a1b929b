"""The directory's pages in real headless Chromium: the coordinator signs in, uploads a broken
workbook and reads its problems, uploads a good one, reads the dry run, confirms it, searches,
and deactivates a person; then sends each add form empty, adds an agency, and changes it and a
person. axe-core reports no violation on any directory page on the way (each part's list, each
kind of entry's page, the log, the upload, both dry runs, the result, each form with and
without its errors shown)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from oscp_flow.settings import Settings
from states.services import directory, people
from states.services.deps import Deps
from tests.support.accessibility import AxeWalk
from tests.support.browser import chromium, follow, serving
from tests.support.directory_corpus import edited, good_book
from tests.support.partnership import email, give_passwords
from tests.support.ports import bound, port_of
from tests.support.web import PASSWORD

pytestmark = pytest.mark.slow
ADD_BUTTONS = {
    "agencies": "Add an agency",
    "settings": "Add a school or setting",
    "people": "Add a person",
    "bodies": "Add a body",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, partnership: Deps, tmp_path: Path) -> Iterator[Page]:
    give_passwords(partnership, PASSWORD)
    web = bound()
    base = f"http://127.0.0.1:{port_of(web)}"
    with serving(partnership, Settings(home=tmp_path, base_url=base), web):
        context = browser.new_context(base_url=base)
        try:
            yield context.new_page()
        finally:
            context.close()


def _visit(page: Page, axe: AxeWalk, path: str, name: str, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None and response.status == status, (name, response)
    axe.check(page, name)


def _press(page: Page, axe: AxeWalk, button: str, name: str, status: int = 200) -> None:
    with page.expect_navigation() as landed:
        page.get_by_role("button", name=button).first.click()
    assert landed.value is not None and landed.value.status == status, name
    axe.check(page, name)


def _upload(page: Page, axe: AxeWalk, folder: Path, data: bytes, name: str, status: int) -> None:
    workbook = folder / "directory.xlsx"
    workbook.write_bytes(data)
    page.get_by_label("The directory file").set_input_files(workbook)
    _press(page, axe, "Upload and check", name, status)


def test_upload_confirm_search_and_deactivate(
    partnership: Deps, page: Page, tmp_path: Path
) -> None:
    axe = AxeWalk()
    page.goto("/directory")
    page.get_by_label("E-mail address").fill(email("coordinator"))
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))
    assert page.url.endswith("/directory")
    axe.check(page, "the directory")
    _visit(page, axe, "/directory/import", "upload")

    def wrong(book: object) -> None:
        book["people"]["A2"] = "not an address"  # type: ignore[index]

    _upload(page, axe, tmp_path, edited(wrong), "dry run with errors", 400)
    problems = page.locator("table.data tbody tr").first.inner_text()
    assert problems.split("\t")[:3] == ["Sheet 'people'", "2", "email"], problems
    _upload(page, axe, tmp_path, good_book(), "dry run", 200)
    assert "This is a dry run" in page.content()
    page.get_by_label("Reason").fill("The partnership's first directory")
    _press(page, axe, "Confirm and store the import", "import stored")
    assert "The directory is imported" in page.content()
    assert "em_council" in directory.snapshot(partnership, viewer=email("coordinator")).agencies

    for part in ("agencies", "settings", "bodies"):
        _visit(page, axe, f"/directory/{part}", part)
    _visit(page, axe, "/people", "people")
    _visit(page, axe, "/directory/agencies/em_council", "an agency")
    _visit(page, axe, "/directory/settings/140001", "a setting")
    _visit(page, axe, "/directory/bodies/em_hub", "a body")
    _press(page, axe, "Change the members", "a body's form refused", status=400)
    _press(page, axe, "Deactivate", "an agency's form refused", status=400)

    page.goto("/people")
    page.get_by_label("Search by name or e-mail").fill("Lead EM01")
    _press(page, axe, "Search", "people searched")
    assert page.locator("table.data tbody tr").count() == 1
    follow(page, page.get_by_role("link", name="Lead EM01"))
    axe.check(page, "a person")
    page.get_by_label("Remove Lead EM01 from the directory (they have left)").check()
    page.get_by_label("Reason").fill("Left the school")
    _press(page, axe, "Make the change", "a person removed")
    assert "Lead EM01 is removed from the directory" in page.content()
    _visit(page, axe, "/directory/log", "the log")
    assert "Left the school" in page.content()
    axe.assert_clean()


def test_add_and_change_forms(partnership: Deps, page: Page) -> None:
    """Every add and change form, empty and refused, then one of each kind filled in."""
    axe = AxeWalk()
    page.goto("/directory")
    page.get_by_label("E-mail address").fill(email("coordinator"))
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))
    for part, button in ADD_BUTTONS.items():
        _visit(page, axe, f"/directory/add/{part}", f"add to {part}")
        _press(page, axe, button, f"add to {part} refused", status=400)
        assert page.locator(".error-summary a").count() >= 2
    _visit(page, axe, "/directory/add/agencies", "add an agency, filled in")
    page.get_by_label("Code", exact=True).fill("nv_ambulance")
    page.get_by_label("Name", exact=True).fill("Northvale Ambulance")
    page.get_by_label("Kind").select_option("health_trust")
    page.get_by_label("Reason").fill("New partner")
    _press(page, axe, "Add an agency", "an agency added")
    assert "Northvale Ambulance is added to the directory" in page.content()
    follow(page, page.get_by_role("link", name="Change the name or kind"))
    axe.check(page, "change an agency")
    _press(page, axe, "Save the change", "an unchanged agency refused", status=400)
    person = next(
        p.id
        for p in people.directory(partnership, viewer=email("coordinator"))
        if p.email == email("lead.police")
    )
    _visit(page, axe, f"/people/{person}", "a person")
    follow(page, page.get_by_role("link", name="Change their name, agency or roles"))
    axe.check(page, "change a person")
    page.get_by_label("Auditor", exact=False).first.check()
    page.get_by_label("Reason").fill("Also audits cases")
    _press(page, axe, "Save the change", "a person changed")
    assert "Sol Bramwell is changed" in page.content()
    axe.assert_clean()
