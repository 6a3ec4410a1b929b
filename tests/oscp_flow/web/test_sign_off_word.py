"""The frozen report as Word behind a sign-off link (issue 19): offered beside its PDF, made
from the version the member is asked to sign off, its content hash (the one the page shows)
in the file's properties; behind the same checks as the PDF: reading it changes nothing, and
a forged, used or expired link gets no report."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from notifications.word import MEDIA_TYPE
from states.clock import FakeClock
from states.services import report_store
from states.services.deps import Deps
from tests.oscp_flow.web.support import csrf_of, history, sign_off_links, used_at
from tests.support.word import body, headings, opened


def test_the_word_version_is_the_frozen_one_behind_the_same_link(
    partnership: Deps, client: TestClient, clock: FakeClock
) -> None:
    reference, minted = sign_off_links(partnership)
    token = minted["lhm"]
    frozen = report_store.latest(partnership, audit=reference)
    assert frozen is not None and frozen.content_hash is not None
    page = client.get(f"/act/{token}").text
    pdf = page.index(f'href="/act/{token}/report.pdf"')
    word = page.index(f'href="/act/{token}/report.docx" id="download-docx" download>')
    assert pdf < word and f'<code class="hash">{frozen.content_hash}</code>' in page
    before = history(partnership, reference)
    clock.advance(timedelta(days=2))  # read later: still the version and day frozen
    got = client.get(f"/act/{token}/report.docx")
    assert got.status_code == 200 and got.headers["content-type"] == MEDIA_TYPE
    assert got.headers["content-disposition"] == (
        f'attachment; filename="{reference}-summary-report-v1.docx"'
    )
    document = opened(got.content)
    assert document.core_properties.identifier == frozen.content_hash
    assert document.core_properties.revision == 1
    assert headings(document)[0] == ("Heading 1", "Summary report: Rehearsal")
    texts = [b.text for b in body(document)]
    assert "Other children in the household were not always considered." in " ".join(texts)
    assert client.head(f"/act/{token}/report.docx").status_code == 200
    assert history(partnership, reference) == before and used_at(partnership, token) is None

    # No decision, no report: a forged link, a used one, an expired one.
    assert client.get(f"/act/{'x' * 43}/report.docx").status_code == 404
    decided = client.post(
        f"/act/{token}",
        data={"csrf_token": csrf_of(page), "purpose": "sign_off", "decision": "approve"},
    )
    assert decided.status_code == 200
    assert client.get(f"/act/{token}/report.docx").status_code in (409, 410)
    clock.advance(timedelta(days=30))
    assert client.get(f"/act/{minted['lsp.police']}/report.docx").status_code == 410
