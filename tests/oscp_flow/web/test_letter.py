"""Letter links: a setting's lead opens a page about its letter, reads the letter (with a
policy that lets its own styles work and nothing else) or downloads the PDF; nothing can be
posted, and a forged link reads nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from oscp_flow.web.security import CONTENT_SECURITY_POLICY
from states.persistence.vocabulary import LinkPurpose
from states.services.deps import Deps
from tests.oscp_flow.web.support import mint
from tests.support.reporting import letters_of, s175_with_letters


@pytest.fixture
def letter(partnership: Deps) -> tuple[str, str]:
    reference = s175_with_letters(partnership)
    code, report_id = sorted(letters_of(partnership, reference).items())[0]
    lead = {"police": "lead.police", "csc": "lead.csc", "community_health": "lead.health"}
    return code, mint(partnership, LinkPurpose.LETTER, reference, lead[code], report_id=report_id)


def test_the_page_reads_and_downloads_the_letter(
    client: TestClient, letter: tuple[str, str]
) -> None:
    code, token = letter
    page = client.get(f"/act/{token}")
    assert page.status_code == 200 and "Your feedback letter from audit" in page.text
    assert f"/act/{token}/letter.html" in page.text and f"/act/{token}/letter.pdf" in page.text
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY

    read = client.get(f"/act/{token}/letter.html")
    assert read.status_code == 200 and "Our feedback to you" in read.text
    policy = read.headers["content-security-policy"]
    assert "style-src 'unsafe-inline'" in policy and "script" not in policy
    assert read.headers["cache-control"] == "no-store"
    assert read.headers["referrer-policy"] == "no-referrer"

    pdf = client.get(f"/act/{token}/letter.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert f"-{code}-feedback-letter.pdf" in pdf.headers["content-disposition"]
    assert client.get(f"/act/{token}").status_code == 200  # read again: nothing used up


def test_nothing_can_be_posted_and_forgeries_read_nothing(
    client: TestClient, letter: tuple[str, str]
) -> None:
    _, token = letter
    page = client.get(f"/act/{token}")
    assert "<form" not in page.text.split("<main", 1)[-1]
    posted = client.post(f"/act/{token}", data={"purpose": "letter", "csrf_token": "x"})
    assert posted.status_code == 403  # no form here ever gave a token
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"/act/{forged}/letter.html").status_code == 404
    assert client.get(f"/act/{forged}/letter.pdf").status_code == 404
    assert client.get(f"/act/{token}/letter.docx").status_code == 404
