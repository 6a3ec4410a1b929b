"""The summary report's editor (issue 17, item 6): the chair writes the four sections in one
form beside the figures, saves drafts, previews the report as it will print (HTML and PDF),
and sends it for sign-off, which freezes it; a refusal is the engine's sentence beside the
button, what was typed kept; after members refuse, their comments stand beside the editor and
sending again needs a reason; once sent or signed off the page is read-only. A learning hub
member who is not the chair is refused (403); no one signed out gets in."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from states.services import queries, reports
from states.services.deps import Deps
from tests.oscp_flow.web.support import csrf_of
from tests.support.driver import REPORT, drive
from tests.support.partnership import email, give_passwords
from tests.support.web import PASSWORD, sign_in

WORDS = {
    "working_well": "Strategy meetings were held on time.",
    "emerging_concerns": "Siblings were not always seen.",
    "recommendations": "- Record the lived experience of every child",
    "reflection": "The tool worked well.",
}
LABELS = (
    "What is working well",
    "Emerging concerns",
    "Recommendations",
    "Reflection on the process of the audit",
)


@pytest.fixture
def reference(partnership: Deps) -> str:
    """A MACE at report drafting, nothing written yet."""
    give_passwords(partnership, PASSWORD, people=("coordinator", "chair", "lhm"))
    return drive(partnership, "mace", "report_drafting").reference


def _page(client: TestClient, reference: str) -> Response:
    return client.get(f"/audits/{reference}/report")


def _post(client: TestClient, reference: str, verb: str, form: dict[str, str]) -> Response:
    page = _page(client, reference)
    version = page.text.split('name="report_version" value="', 1)[1].split('"', 1)[0]
    return client.post(
        f"/audits/{reference}/do/{verb}",
        data={"csrf_token": csrf_of(page.text), "report_version": version, **form},
        follow_redirects=False,
    )


def _text(response: Response) -> str:
    """The page's text as read: entities decoded, whitespace folded (sentences wrap)."""
    return " ".join(html.unescape(response.text).split())


def _state(deps: Deps, reference: str) -> str:
    return queries.history(deps, audit=reference)[-1].to_state


def test_signed_out_is_sent_to_sign_in(client: TestClient, reference: str) -> None:
    for part in ("report", "report/preview"):
        response = client.get(f"/audits/{reference}/{part}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/signin?next=/audits/{reference}/{part}"


def test_the_editor_beside_the_figures(client: TestClient, reference: str) -> None:
    sign_in(client, email("chair"))
    page = _page(client, reference)
    assert page.status_code == 200
    text = _text(page)
    for label in LABELS:
        assert f">{label}</label>" in text
    assert 'id="recommendations-hint"' in page.text
    assert "Save draft" in text and "Send for sign-off" in text
    assert "Ratings by section" in text and "Ratings by agency" in text
    assert "Northvale Police" in text  # a returning agency's row in the figures
    assert 'class="table-wrap"' in page.text
    assert "Version 1 is a draft" in text


def test_a_draft_saved_all_at_once(client: TestClient, partnership: Deps, reference: str) -> None:
    sign_in(client, email("chair"))
    done = _post(client, reference, "report-save", WORDS)
    assert done.status_code == 303
    assert done.headers["location"] == f"/audits/{reference}/report?done=saved"
    assert reports.narrative_of(partnership, audit=reference).sections == WORDS
    history = queries.history(partnership, audit=reference)
    saved = [e for e in history if e.trigger == "save_report_narrative"]
    assert len(saved) == 1  # the four sections are one change
    page = client.get(done.headers["location"])
    assert "Your draft of version 1 is saved." in _text(page)
    assert "Siblings were not always seen." in _text(page)


def test_a_draft_refused_keeps_what_was_typed(client: TestClient, reference: str) -> None:
    sign_in(client, email("coordinator"))
    refused = _post(
        client, reference, "report-save", {**WORDS, "reflection": "x" * (reports.MAX_SECTION + 1)}
    )
    assert refused.status_code == 400
    text = _text(refused)
    assert 'id="save-error"' in text
    assert "Keep each section under 20,000 characters." in text
    assert 'href="#save-error"' in text  # the error summary leads to it
    assert "Siblings were not always seen.</textarea>" in text


def test_someone_who_may_not_write_it_is_refused(client: TestClient, reference: str) -> None:
    sign_in(client, email("lhm"))
    for part in ("report", "report/preview", "report/preview.pdf"):
        assert client.get(f"/audits/{reference}/{part}").status_code == 403
    sign_in(client, email("chair"))
    token = csrf_of(_page(client, reference).text)
    sign_in(client, email("lhm"))
    posted = client.post(
        f"/audits/{reference}/do/report-save",
        data={"csrf_token": token, **WORDS},
        follow_redirects=False,
    )
    assert posted.status_code == 403


def test_the_preview_as_it_will_print(client: TestClient, reference: str) -> None:
    sign_in(client, email("chair"))
    _post(client, reference, "report-save", WORDS)
    preview = client.get(f"/audits/{reference}/report/preview")
    assert preview.status_code == 200
    assert "default-src 'none'" in preview.headers["content-security-policy"]
    text = _text(preview)
    for words in WORDS.values():
        assert words.removeprefix("- ") in text
    assert "What is working well" in text and "Draft" in text
    pdf = client.get(f"/audits/{reference}/report/preview.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert f"{reference}-summary-report-v1-draft.pdf" in pdf.headers["content-disposition"]


def test_sending_with_empty_sections_names_them(
    client: TestClient, partnership: Deps, reference: str
) -> None:
    sign_in(client, email("chair"))
    half = {**WORDS, "emerging_concerns": "", "recommendations": ""}
    refused = _post(client, reference, "report-submit", half)
    assert refused.status_code == 400
    text = _text(refused)
    assert 'id="submit-error"' in text
    assert "no text yet for emerging concerns and recommendations" in text
    assert "Strategy meetings were held on time.</textarea>" in text
    assert _state(partnership, reference) == "report_drafting"
    # What was typed was saved on the way: nothing is lost.
    assert (
        reports.narrative_of(partnership, audit=reference).sections["reflection"]
        == (WORDS["reflection"])
    )


def test_sending_freezes_it_once(client: TestClient, partnership: Deps, reference: str) -> None:
    sign_in(client, email("chair"))
    page = _page(client, reference)
    form = {"csrf_token": csrf_of(page.text), "report_version": "1", **WORDS}
    sent = client.post(f"/audits/{reference}/do/report-submit", data=form, follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/audits/{reference}/report?done=sent"
    assert _state(partnership, reference) == "awaiting_sign_off"
    words = reports.narrative_of(partnership, audit=reference)
    assert not words.editable and words.sections == WORDS
    # The button pressed twice: the second finds it gone already, and changes nothing.
    events = len(queries.history(partnership, audit=reference))
    again = client.post(f"/audits/{reference}/do/report-submit", data=form, follow_redirects=False)
    assert again.status_code == 303
    assert len(queries.history(partnership, audit=reference)) == events
    shown = _text(client.get(sent.headers["location"]))
    assert "has gone for sign-off" in shown and 'id="read-only"' in shown
    assert "<textarea" not in shown and "Save draft" not in shown


def test_the_coordinator_may_not_send_it(
    client: TestClient, partnership: Deps, reference: str
) -> None:
    """Sending is the chair's step in a MACE: the coordinator's draft is saved, the sending
    refused beside the button."""
    sign_in(client, email("coordinator"))
    refused = _post(client, reference, "report-submit", WORDS)
    assert refused.status_code == 400
    assert "only chair may do this" in _text(refused)
    assert reports.narrative_of(partnership, audit=reference).sections == WORDS


def test_after_a_refusal_sending_again_needs_a_reason(
    client: TestClient, partnership: Deps
) -> None:
    give_passwords(partnership, PASSWORD, people=("chair",))
    reference = drive(partnership, "mace", "further_assurance_requested").reference
    sign_in(client, email("chair"))
    page = _text(_page(client, reference))
    assert "What the members decided" in page
    assert "Please evidence how the recommendations will be resourced." in page
    assert "Version 2 is a draft" in page
    assert REPORT["working_well"] in page  # the refused words, to start from

    changed = {**REPORT, "recommendations": "- Resourced from April by each agency"}
    refused = _post(client, reference, "report-submit", changed)
    assert refused.status_code == 400
    text = _text(refused)
    assert 'id="reason-error"' in text and 'href="#reason"' in text
    assert "a reason must be given" in text
    assert "Resourced from April by each agency</textarea>" in text
    assert _state(partnership, reference) == "further_assurance_requested"
    assert "What changed since version 1" in text

    sent = _post(client, reference, "report-submit", {**changed, "reason": "Resourcing shown"})
    assert sent.status_code == 303
    assert _state(partnership, reference) == "awaiting_sign_off"
    shown = _text(client.get(sent.headers["location"]))
    assert "Version 2 of the report has gone for sign-off." in shown
    assert "What changed since version 1" in shown
    assert "Resourced from April by each agency" in shown


def test_signed_off_it_is_read_only(client: TestClient, partnership: Deps) -> None:
    give_passwords(partnership, PASSWORD, people=("chair",))
    reference = drive(partnership, "mace", "actions_agreed").reference
    sign_in(client, email("chair"))
    page = _text(_page(client, reference))
    assert "The report is signed off" in page
    assert "<textarea" not in page
    assert REPORT["reflection"] in page
    assert f'href="/audits/{reference}/sharing"' in page
