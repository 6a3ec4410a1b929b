"""A sign-off member downloads the frozen report as Word from the link they were e-mailed, in
real headless Chromium (issue 19): the link sits beside the PDF's, the page stays free of
axe-core violations, and the file Word opens is the version they are asked to sign off,
its fingerprint the one the page shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from oscp_flow.settings import Settings
from states.services import report_store
from states.services.deps import Deps
from tests.support.accessibility import assert_accessible
from tests.support.browser import chromium, deliver, serving
from tests.support.driver import drive
from tests.support.partnership import email
from tests.support.ports import bound, port_of
from tests.support.reporting import write_narrative
from tests.support.word import headings, opened

pytestmark = pytest.mark.slow


def test_a_member_downloads_the_frozen_report_as_word(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    driver = drive(deps, "mace", "report_drafting", theme="Neglect")
    write_narrative(deps, driver.reference)
    driver.advance("awaiting_sign_off")
    frozen = report_store.latest(deps, audit=driver.reference)
    assert frozen is not None and frozen.content_hash is not None
    web = bound()
    settings = Settings(home=tmp_path, base_url=f"http://127.0.0.1:{port_of(web)}")
    with serving(deps, settings, web):
        link = deliver(deps, settings)[email("lhm")]
        with chromium() as browser:
            page = browser.new_page(accept_downloads=True)
            page.goto(link)
            assert_accessible(page, "the sign-off page with its Word download")
            assert page.locator("code.hash").inner_text() == frozen.content_hash
            with page.expect_download() as downloading:
                page.get_by_role("link", name="Download as Word (.docx)").click()
            download = downloading.value
            assert download.suggested_filename == f"{driver.reference}-summary-report-v1.docx"
            document = opened(Path(download.path()).read_bytes())
    assert document.core_properties.identifier == frozen.content_hash
    assert headings(document)[0] == ("Heading 1", "Summary report: Neglect")
