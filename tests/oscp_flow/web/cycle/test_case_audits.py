"""An auditor completes their case audit signed in (issue 17 item 4): on a MACE each agency the
case names owes a return on it, and the assigned auditor fills each one in on the case's page
with the e-mailed return page's own fields; drafts are saved and shown again, a submission
missing answers comes back with each beside its question and everything typed kept, and a
submitted one is shown read-only. Others are refused (403) or told it is not there (404)."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from states.services import partnership as directory
from states.services import returns
from states.services.deps import Deps
from tests.oscp_flow.web.support import complete_form, csrf_of
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords
from tests.support.web import PASSWORD, sign_in

# The agencies on every driven case, by name: social care, community health, police.
POLICE = 2
GOOD = "q.lived_experience_good_practice"


@pytest.fixture
def audit(partnership: Deps) -> tuple[str, str]:
    """A MACE with case audits open, and the second case (auditor.one's)."""
    driver = drive(partnership, "mace", "returns_open")
    return driver.reference, driver.cases[1]


def _enter(client: TestClient, deps: Deps, local: str) -> None:
    give_passwords(deps, PASSWORD, people=(local,))
    sign_in(client, email(local))


def _text(response: Response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", response.text)).split())


def _post(client: TestClient, reference: str, case: str, **form: str) -> Response:
    page = client.get(f"/audits/{reference}/cases/{case}")
    data = {"csrf_token": csrf_of(page.text), "case": case, **form}
    return client.post(f"/audits/{reference}/do/case-audit", data=data, follow_redirects=False)


def test_signed_out_is_sent_to_sign_in(client: TestClient, audit: tuple[str, str]) -> None:
    reference, case = audit
    response = client.get(f"/audits/{reference}/cases/{case}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")


def test_the_case_audit_has_a_form_for_each_agency(
    client: TestClient, partnership: Deps, audit: tuple[str, str]
) -> None:
    reference, case = audit
    _enter(client, partnership, "auditor.one")
    page = client.get(f"/audits/{reference}/cases/{case}")
    assert page.status_code == 200
    text = _text(page)
    assert f"Case audit: case {case}" in text
    assert page.text.count(f'action="/audits/{reference}/do/case-audit"') == 3
    for code in ("csc", "community_health", "police"):
        assert f'name="agency" value="{code}"' in page.text
    tool = partnership.catalogue.tool("mace")
    assert tool is not None
    for _, question in tool.questions():
        assert f'name="q.{question.id}"' in page.text and f'id="c2-{question.id}"' in page.text
    assert "Save draft for Northvale Police" in text and "Submit for Northvale Police" in text
    assert 'aria-labelledby="agency-2-title"' in page.text


def test_a_draft_is_saved_and_shown_again(
    client: TestClient, partnership: Deps, audit: tuple[str, str]
) -> None:
    reference, case = audit
    _enter(client, partnership, "auditor.one")
    saved = _post(client, reference, case, agency="police", intent="save", **{GOOD: "Seen alone"})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/audits/{reference}/cases/{case}?saved=police"
    page = client.get(saved.headers["location"])
    assert "Your draft for Northvale Police is saved." in _text(page)
    assert ">Seen alone</textarea>" in page.text
    draft = returns.read(
        partnership, audit=reference, actor=email("auditor.one"), agency="police", case=case
    )
    assert draft.status == "draft" and draft.answers["lived_experience_good_practice"]


def test_missing_answers_are_shown_beside_each_question_with_everything_kept(
    client: TestClient, partnership: Deps, audit: tuple[str, str]
) -> None:
    reference, case = audit
    _enter(client, partnership, "auditor.one")
    typed = {GOOD: "Typed <not lost>", "q.lived_experience_rating": "good"}
    refused = _post(client, reference, case, agency="police", intent="submit", **typed)
    assert refused.status_code == 400
    assert "There is a problem" in refused.text and "<title>Error: " in refused.text
    assert 'href="#c2-lived_experience_gaps"' in refused.text
    assert 'id="c2-lived_experience_gaps-error"' in refused.text
    assert "This question needs an answer" in refused.text
    assert ">Typed &lt;not lost&gt;</textarea>" in refused.text
    assert re.search(
        r'id="c2-lived_experience_rating-\d+" name="q.lived_experience_rating" '
        r'value="good" checked',
        refused.text,
    )
    assert 'id="c0-lived_experience_gaps-error"' not in refused.text  # another agency's form
    unsaved = returns.read(
        partnership, audit=reference, actor=email("auditor.one"), agency="police", case=case
    )
    assert unsaved.status == "not started"


def test_a_submitted_case_audit_is_read_only(
    client: TestClient, partnership: Deps, audit: tuple[str, str]
) -> None:
    reference, case = audit
    _enter(client, partnership, "auditor.one")
    complete = complete_form(partnership, "mace")
    sent = _post(client, reference, case, agency="police", intent="submit", **complete)
    assert sent.status_code == 303, _text(sent)
    page = client.get(sent.headers["location"])
    text = _text(page)
    assert "The case audit for Northvale Police is submitted and locked." in text
    assert 'name="agency" value="police"' not in page.text
    assert page.text.count(f'action="/audits/{reference}/do/case-audit"') == 2
    assert "Outstanding" in text  # the police's ratings, read-only, by their labels

    again = _post(client, reference, case, agency="police", intent="save", **{GOOD: "Changed"})
    assert again.status_code == 400
    assert "was submitted and is locked" in _text(again)
    assert 'href="#agency-2-title"' in again.text and 'id="c2-save-error"' in again.text


def test_a_locked_refusal_stands_beside_the_form_it_came_from(
    client: TestClient, partnership: Deps, audit: tuple[str, str]
) -> None:
    """A refusal of a whole form (not one answer) sits beside that form's buttons."""
    reference, case = audit
    tool = partnership.catalogue.tool("mace")
    assert tool is not None
    _enter(client, partnership, "coordinator")
    page = client.get(f"/audits/{reference}/cases/{case}")
    token = csrf_of(page.text)
    complete = complete_form(partnership, "mace")
    first = client.post(
        f"/audits/{reference}/do/case-audit",
        data={"csrf_token": token, "case": case, "agency": "csc", "intent": "submit", **complete},
        follow_redirects=False,
    )
    assert first.status_code == 303
    # The same form sent again from the page read before it was submitted.
    stale = client.post(
        f"/audits/{reference}/do/case-audit",
        data={"csrf_token": token, "case": case, "agency": "csc", "intent": "save", GOOD: "x"},
    )
    assert stale.status_code == 400
    assert "was submitted and is locked" in _text(stale)
    assert 'href="#agency-0-title"' in stale.text and 'id="c0-save-error"' in stale.text
    assert 'id="c1-save-error"' not in stale.text


def test_others_are_refused_or_not_shown_the_case(
    client: TestClient, partnership: Deps, audit: tuple[str, str]
) -> None:
    reference, case = audit
    _enter(client, partnership, "lhm")
    assert client.get(f"/audits/{reference}/cases/{case}").status_code == 403
    directory.add_person(
        partnership, name="Dee Unassigned", email=email("auditor.three"), roles=["auditor"]
    )
    _enter(client, partnership, "auditor.three")
    assert client.get(f"/audits/{reference}/cases/{case}").status_code == 403
    _enter(client, partnership, "auditor.two")  # assigned the first case, not this one
    assert client.get(f"/audits/{reference}/cases/{case}").status_code == 404
    _enter(client, partnership, "auditor.one")
    other = _post(client, reference, case, agency="housing", intent="save")
    assert other.status_code == 404
