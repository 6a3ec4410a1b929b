"""The sharing page's Word downloads (issue 19): once the products are made, the briefing and
learning on a page each download as Word beside their PDF, made from the signed-off summary
and carrying the product's own hash; letters have no Word version (404); a learning hub
member who is not the chair is refused (403)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from notifications.word import MEDIA_TYPE
from states.services import report_store
from states.services.deps import Deps
from tests.oscp_flow.web.support import post_from
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords
from tests.support.reporting import s175_with_letters
from tests.support.web import PASSWORD, sign_in
from tests.support.word import headings, opened

TITLES = {"briefing": "7-minute briefing", "learning-on-a-page": "Learning on a page"}


@pytest.fixture
def reference(partnership: Deps, client: TestClient) -> str:
    """A signed-off MACE whose products the chair has made on the sharing page."""
    give_passwords(partnership, PASSWORD, people=("coordinator", "chair", "lhm"))
    reference = drive(partnership, "mace", "actions_agreed").reference
    sign_in(client, email("chair"))
    audit = f"/audits/{reference}"
    made = post_from(client, f"{audit}/sharing", f"{audit}/do/make-products", {})
    assert made.status_code == 303
    return reference


@pytest.mark.parametrize("name", list(TITLES))
def test_each_product_downloads_as_word_beside_its_pdf(
    client: TestClient, partnership: Deps, reference: str, name: str
) -> None:
    page = client.get(f"/audits/{reference}/sharing").text
    pdf = page.index(f'href="/audits/{reference}/sharing/{name}.pdf" download>')
    word = page.index(f'href="/audits/{reference}/sharing/{name}.docx" download>')
    assert pdf < word
    assert (
        page[word:]
        .split("</a>", 1)[0]
        .endswith(
            f'Download as Word (.docx)<span class="visually-hidden"> the {TITLES[name].lower()} '
            "for Everyone</span>"
        )
    )
    got = client.get(f"/audits/{reference}/sharing/{name}.docx")
    assert got.status_code == 200 and got.headers["content-type"] == MEDIA_TYPE
    assert got.headers["content-disposition"] == (
        f'attachment; filename="{reference}-{name}-v1.docx"'
    )
    product = report_store.latest(partnership, audit=reference, kind=name.replace("-", "_"))
    assert product is not None
    document = opened(got.content)
    assert document.core_properties.identifier == product.content_hash
    assert headings(document)[0] == ("Heading 1", f"{TITLES[name]}: Driven")


def test_a_learning_hub_member_who_is_not_the_chair_is_refused(
    client: TestClient, reference: str
) -> None:
    sign_in(client, email("lhm"))
    assert client.get(f"/audits/{reference}/sharing/briefing.docx").status_code == 403


def test_letters_and_unknown_files_have_no_word_version(
    client: TestClient, partnership: Deps
) -> None:
    give_passwords(partnership, PASSWORD, people=("coordinator",))
    reference = s175_with_letters(partnership)
    sign_in(client, email("coordinator"))
    page = client.get(f"/audits/{reference}/sharing").text
    assert "feedback-letter.docx" not in page and "summary-to-all.docx" not in page
    code = page.split("/sharing/feedback-letter?setting=", 1)[1].split('"', 1)[0]
    sharing = f"/audits/{reference}/sharing"
    assert client.get(f"{sharing}/feedback-letter.pdf?setting={code}").status_code == 200
    assert client.get(f"{sharing}/feedback-letter.docx?setting={code}").status_code == 404
    assert client.get(f"{sharing}/summary-to-all.docx").status_code == 404
    assert client.get(f"{sharing}/briefing.txt").status_code == 404
    assert client.get(f"{sharing}/briefing.docx").status_code == 200
