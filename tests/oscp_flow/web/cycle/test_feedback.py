"""The feedback page (issue 17): the chair or a coordinator writes each sampled setting's
feedback (Section 11: each agency that returned) with "N of M recorded"; recording again
replaces it; a refusal is the engine's sentence beside that setting's form with the words
kept; a learning hub member who is not the chair is refused (403); no one signed out gets in."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from states.services import audits, deep_dive
from states.services.deps import Deps
from tests.oscp_flow.web.support import csrf_of, post_from
from tests.support.driver import RETURNING, drive
from tests.support.partnership import agency_name, email, give_passwords
from tests.support.web import PASSWORD, sign_in

WORDS = "Strong safeguarding culture; update the online safety policy."


@pytest.fixture
def reference(partnership: Deps) -> str:
    """A Section 175 giving feedback to its deep-dive sample, chosen by hand (the police and
    social care); the chair and the coordinator can sign in."""
    give_passwords(partnership, PASSWORD)
    driver = drive(partnership, "section_175", "deep_dive")
    deep_dive.choose_deep_dive(
        partnership, audit=driver.reference, actor=email("chair"), settings=["police", "csc"]
    )
    driver.moderate_findings()
    audits.fire(
        partnership, audit=driver.reference, trigger="complete_deep_dive", actor=email("chair")
    )
    return driver.reference


def _page(client: TestClient, reference: str) -> Response:
    return client.get(f"/audits/{reference}/feedback")


def _post(client: TestClient, reference: str, setting: str, words: str) -> Response:
    audit = f"/audits/{reference}"
    form = {"setting": setting, "feedback": words}
    return post_from(client, f"{audit}/feedback", f"{audit}/do/feedback", form)


def _text(response: Response) -> str:
    return html.unescape(response.text)


def test_signed_out_is_sent_to_sign_in(client: TestClient, reference: str) -> None:
    response = client.get(f"/audits/{reference}/feedback", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next=/audits/{reference}/feedback"


def test_each_sampled_setting_with_a_form_and_the_progress(
    client: TestClient, reference: str
) -> None:
    sign_in(client, email("chair"))
    page = _page(client, reference)
    assert page.status_code == 200
    text = _text(page)
    assert "0 of 2" in text
    for code in ("police", "csc"):
        assert f"Feedback to {agency_name(code)}" in text
        assert f"Record the feedback to {agency_name(code)}" in text
    assert agency_name("community_health") not in text  # not in the sample


def test_recorded_then_replaced(client: TestClient, reference: str) -> None:
    sign_in(client, email("coordinator"))
    done = _post(client, reference, "police", WORDS)
    assert done.status_code == 303
    assert done.headers["location"] == f"/audits/{reference}/feedback?done=recorded&setting=police"
    text = _text(client.get(done.headers["location"]))
    assert f"The feedback to {agency_name('police')} is recorded." in text
    assert "1 of 2" in text and f">{WORDS}</textarea>" in text
    assert "Recorded by Kit Farrow" in text

    again = _post(client, reference, "police", "Replaced words.")
    assert again.headers["location"].endswith("done=replaced&setting=police")
    text = _text(client.get(again.headers["location"]))
    assert "is replaced." in text and ">Replaced words.</textarea>" in text and WORDS not in text


def test_refused_beside_the_settings_form_with_the_words_kept(
    client: TestClient, reference: str
) -> None:
    sign_in(client, email("chair"))
    blank = _post(client, reference, "csc", "   ")
    assert blank.status_code == 400
    assert "Write the feedback to the setting." in _text(blank)
    assert 'id="feedback-csc-error"' in blank.text and 'href="#feedback-csc"' in blank.text

    long = "x" * (deep_dive.FEEDBACK_LIMIT + 1)
    too_long = _post(client, reference, "csc", long)
    assert too_long.status_code == 400
    assert "keep it to 10,000." in _text(too_long)
    assert f">{long}</textarea>" in too_long.text

    outside = _post(client, reference, "community_health", WORDS)
    assert outside.status_code == 400  # not in the sample: said at the top of the page
    assert "No deep-dive setting 'community_health' was found" in _text(outside)


def test_section_11_gives_feedback_to_each_agency_that_returned(
    client: TestClient, partnership: Deps
) -> None:
    give_passwords(partnership, PASSWORD)
    reference = drive(partnership, "section_11", "feedback_to_agencies").reference
    sign_in(client, email("chair"))
    text = _text(_page(client, reference))
    assert f"0 of {len(RETURNING)}" in text
    assert "Each agency that returned its self-assessment" in text
    done = _post(client, reference, "police", WORDS)
    assert done.status_code == 303


def test_before_feedback_is_given_it_is_only_read(client: TestClient, partnership: Deps) -> None:
    give_passwords(partnership, PASSWORD)
    reference = drive(partnership, "section_175", "deep_dive").reference
    deep_dive.choose_deep_dive(
        partnership, audit=reference, actor=email("chair"), settings=["police"]
    )
    sign_in(client, email("chair"))
    text = _text(_page(client, reference))
    assert f"audit {reference} is at Deep dive on a sample of returns" in text
    assert "No feedback recorded yet." in text and "Record the feedback" not in text


def test_a_learning_hub_member_not_chairing_is_refused(
    client: TestClient, reference: str, partnership: Deps
) -> None:
    give_passwords(partnership, PASSWORD, people=("lhm",))
    sign_in(client, email("chair"))
    token = csrf_of(_page(client, reference).text)
    sign_in(client, email("lhm"))
    assert _page(client, reference).status_code == 403
    posted = client.post(
        f"/audits/{reference}/do/feedback",
        data={"csrf_token": token, "setting": "police", "feedback": WORDS},
        follow_redirects=False,
    )
    assert posted.status_code == 403


def test_the_longest_feedback_in_any_script_fits_the_form(
    client: TestClient, reference: str
) -> None:
    """Every character percent-encoded as four bytes of UTF-8 still fits the form's size."""
    sign_in(client, email("chair"))
    words = "\N{SMILING FACE WITH SMILING EYES}" * deep_dive.FEEDBACK_LIMIT
    assert _post(client, reference, "csc", words).status_code == 303
