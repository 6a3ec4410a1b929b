"""The report page's Word download (issue 19): beside the PDF, the chair downloads the draft
as it stands (DRAFT, no hash, named as a draft) and, once sent for sign-off, the frozen
version carrying its content hash in the file's properties; anyone who may not write the
report is refused (403), and no one signed out gets it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from notifications.word import MEDIA_TYPE
from states.services import report_store
from states.services.deps import Deps
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords
from tests.support.reporting import NARRATIVE, write_narrative
from tests.support.web import PASSWORD, sign_in
from tests.support.word import assert_only_under, headings, opened

TYPED = "Zebedee Quartermaine"


@pytest.fixture
def reference(partnership: Deps) -> str:
    """A MACE at report drafting, the chair's four sections written."""
    give_passwords(partnership, PASSWORD, people=("coordinator", "chair", "lhm"))
    reference = drive(partnership, "mace", "report_drafting").reference
    write_narrative(partnership, reference)
    return reference


def test_the_draft_downloads_as_word_beside_the_pdf(client: TestClient, reference: str) -> None:
    sign_in(client, email("chair"))
    page = client.get(f"/audits/{reference}/report").text
    pdf_link = f'href="/audits/{reference}/report/preview.pdf" download>'
    word_link = f'href="/audits/{reference}/report/preview.docx" download>'
    assert page.index(pdf_link) < page.index(word_link)
    assert f"{word_link}Download as Word (.docx)</a>" in page
    word = client.get(f"/audits/{reference}/report/preview.docx")
    assert word.status_code == 200
    assert word.headers["content-type"] == MEDIA_TYPE
    assert word.headers["content-disposition"] == (
        f'attachment; filename="{reference}-summary-report-v1-draft.docx"'
    )
    document = opened(word.content)
    assert headings(document)[0][1].startswith("DRAFT: Summary report")
    assert document.core_properties.identifier == ""
    assert client.head(f"/audits/{reference}/report/preview.docx").status_code == 200


def test_sent_for_sign_off_it_carries_the_frozen_hash(
    client: TestClient, partnership: Deps
) -> None:
    give_passwords(partnership, PASSWORD, people=("chair",))
    driver = drive(partnership, "mace", "report_drafting")
    write_narrative(
        partnership, driver.reference, {**NARRATIVE, "reflection": f"{TYPED} was discussed."}
    )
    driver.advance("awaiting_sign_off")
    frozen = report_store.latest(partnership, audit=driver.reference)
    assert frozen is not None
    sign_in(client, email("chair"))
    word = client.get(f"/audits/{driver.reference}/report/preview.docx")
    assert word.status_code == 200
    assert word.headers["content-disposition"] == (
        f'attachment; filename="{driver.reference}-summary-report-v1.docx"'
    )
    properties = opened(word.content).core_properties
    assert properties.identifier == frozen.content_hash and properties.revision == 1
    assert_only_under(word.content, TYPED, "Reflection on the audit process")


def test_someone_who_may_not_write_it_is_refused(client: TestClient, reference: str) -> None:
    address = f"/audits/{reference}/report/preview.docx"
    signed_out = client.get(address, follow_redirects=False)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/signin")
    sign_in(client, email("lhm"))
    refused = client.get(address)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
