"""The deep-dive page (issue 17): the chair or a coordinator sees every setting that returned
with how it rated itself, takes the sample by hand or draws it by the type's rule, and reads
what was taken; a refusal is the engine's sentence beside its form, ticks and words kept; a
learning hub member who is not the chair is refused (403); no one signed out gets in."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from states.services import deep_dive
from states.services.deps import Deps
from tests.oscp_flow.web.support import csrf_of, post_from
from tests.support.driver import Driver, drive
from tests.support.partnership import email, give_passwords
from tests.support.web import PASSWORD, sign_in

POLICE, CSC, HEALTH = (
    "Northvale Police",
    "Northvale Children's Social Care",
    "Northvale Community Health",
)


@pytest.fixture
def reference(partnership: Deps) -> str:
    """A Section 175 at its deep dive, every setting returned; the chair and the coordinator
    can sign in."""
    give_passwords(partnership, PASSWORD)
    return drive(partnership, "section_175", "deep_dive").reference


def _page(client: TestClient, reference: str) -> Response:
    return client.get(f"/audits/{reference}/deep-dive")


def _post(client: TestClient, reference: str, verb: str, form: dict[str, object]) -> Response:
    audit = f"/audits/{reference}"
    return post_from(client, f"{audit}/deep-dive", f"{audit}/do/{verb}", form)


def _text(response: Response) -> str:
    return html.unescape(response.text)


def _ticked(response: Response) -> set[str]:
    return set(re.findall(r'name="settings" value="([^"]+)" checked', response.text))


def test_signed_out_is_sent_to_sign_in(client: TestClient, reference: str) -> None:
    response = client.get(f"/audits/{reference}/deep-dive", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next=/audits/{reference}/deep-dive"


def test_the_returned_settings_their_ratings_and_the_rule(
    client: TestClient, reference: str
) -> None:
    sign_in(client, email("chair"))
    page = _page(client, reference)
    assert page.status_code == 200
    text = _text(page)
    for name in (POLICE, CSC, HEALTH):
        assert name in text
    assert "Red: 11" in text and "Green: 11" in text and "Amber: 11" in text
    assert "Every setting that rated any standard Red, and 10% of the others" in text
    assert "Take these settings" in text and "Draw the sample" in text
    assert "No setting has been chosen yet." in text
    assert 'class="table-wrap"' in page.text


def test_chosen_by_hand(client: TestClient, reference: str) -> None:
    sign_in(client, email("coordinator"))
    done = _post(client, reference, "deep-dive-select", {"settings": ["police", "csc"]})
    assert done.status_code == 303
    assert done.headers["location"] == f"/audits/{reference}/deep-dive?done=chosen"
    page = client.get(done.headers["location"])
    text = _text(page)
    assert "The deep-dive sample is taken: 2 settings chosen by hand." in text
    assert _ticked(page) == {"police", "csc"}
    chosen = text.split("The deep-dive sample</h2>")[1]
    assert POLICE in chosen and CSC in chosen and HEALTH not in chosen
    assert "Why the sample is being replaced" in text  # asked from now on


def test_refused_by_hand_beside_the_form_with_what_was_typed(
    client: TestClient, reference: str, partnership: Deps
) -> None:
    sign_in(client, email("chair"))
    nothing = _post(client, reference, "deep-dive-select", {})
    assert nothing.status_code == 400
    assert "Name at least one setting for the deep dive, by its code." in _text(nothing)
    assert 'id="settings-error"' in nothing.text and 'href="#settings"' in nothing.text
    assert "<title>Error: " in nothing.text

    deep_dive.choose_deep_dive(partnership, audit=reference, actor=email("chair"), settings=["csc"])
    again = _post(client, reference, "deep-dive-select", {"settings": ["police"]})
    assert again.status_code == 400
    assert "already has its deep dive sample; say why it is being replaced." in _text(again)
    assert _ticked(again) == {"police"}  # what was ticked, not what is stored
    kept = _post(client, reference, "deep-dive-select", {"reason": "Wider view"})
    assert kept.status_code == 400
    assert ">Wider view</textarea>" in kept.text


def test_drawn_by_the_rule(client: TestClient, reference: str) -> None:
    sign_in(client, email("chair"))
    done = _post(client, reference, "deep-dive-draw", {"rated": "red", "percent": "100"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/audits/{reference}/deep-dive?done=drawn"
    text = _text(client.get(done.headers["location"]))
    assert "The deep-dive sample is drawn by the rule: 3 settings (seed " in text
    assert "every return rated red plus 100% of the rest" in text


def test_refused_draws_keep_what_was_typed(client: TestClient, reference: str) -> None:
    sign_in(client, email("chair"))
    words = _post(client, reference, "deep-dive-draw", {"rated": "amber", "percent": "ten"})
    assert words.status_code == 400
    assert "Enter the share of the other settings as a whole number" in _text(words)
    assert 'id="percent-error"' in words.text and 'value="ten"' in words.text
    assert '<option value="amber" selected>' in words.text

    squared = _post(client, reference, "deep-dive-draw", {"rated": "red", "percent": "\u00b2"})
    assert squared.status_code == 400 and 'id="percent-error"' in squared.text

    share = _post(client, reference, "deep-dive-draw", {"rated": "red", "percent": "150"})
    assert share.status_code == 400
    assert "The share of the other returns is a percentage from 0 to 100." in _text(share)
    assert 'id="rated-error"' in share.text and 'value="150"' in share.text


def test_not_at_its_deep_dive_there_is_nothing_to_take(
    client: TestClient, partnership: Deps
) -> None:
    give_passwords(partnership, PASSWORD)
    reference = Driver.start(partnership, "section_175").reference
    sign_in(client, email("chair"))
    text = _text(_page(client, reference))
    assert f"audit {reference} is at Planning" in text
    assert "No setting has returned its self-assessment yet." in text
    assert "Take these settings" not in text
    assert _page(client, "AUD-00000000").status_code == 404


def test_a_learning_hub_member_not_chairing_is_refused(
    client: TestClient, reference: str, partnership: Deps
) -> None:
    give_passwords(partnership, PASSWORD, people=("lhm",))
    sign_in(client, email("chair"))
    token = csrf_of(_page(client, reference).text)
    sign_in(client, email("lhm"))
    assert _page(client, reference).status_code == 403
    posted = client.post(
        f"/audits/{reference}/do/deep-dive-select",
        data={"csrf_token": token, "settings": "police"},
        follow_redirects=False,
    )
    assert posted.status_code == 403
