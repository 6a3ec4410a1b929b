"""A coordinator changes their own password: the current one first (wrong ones make this
address wait, as at sign-in), the new one twice and long enough; success keeps this session
and ends every other one on the server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from oscp_flow.rehearsal.demo import email, give_demo_passwords
from states.clock import FakeClock
from states.rules.throttling import FREE_TRIES
from states.services.deps import Deps
from tests.oscp_flow.web.conftest import MakeClient
from tests.oscp_flow.web.support import csrf_of
from tests.support.web import PASSWORD, sign_in, signed_in

NEW = "another long passphrase"


@pytest.fixture
def people(partnership: Deps) -> Deps:
    give_demo_passwords(partnership, PASSWORD)
    return partnership


def _change(client: TestClient, current: str, new: str, again: str | None = None) -> Response:
    csrf = csrf_of(client.get("/account/password").text)
    form = {
        "csrf_token": csrf,
        "current": current,
        "new": new,
        "again": new if again is None else again,
    }
    return client.post("/account/password", data=form, follow_redirects=False)


def test_a_change_keeps_this_session_and_ends_the_others(
    people: Deps, make_client: MakeClient
) -> None:
    here, elsewhere = (make_client(rate_limit_enabled=False) for _ in range(2))
    sign_in(here, email("coordinator"))
    sign_in(elsewhere, email("coordinator"))
    changed = _change(here, PASSWORD, NEW)
    assert changed.status_code == 303
    assert changed.headers["location"] == "/account/password?changed=1"
    assert "Your password is changed" in here.get("/account/password?changed=1").text
    assert signed_in(here) and not signed_in(elsewhere)
    assert sign_in(elsewhere, email("coordinator"), PASSWORD).status_code == 400
    assert sign_in(elsewhere, email("coordinator"), NEW).status_code == 303


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        ("", NEW, NEW, "Enter your current password."),
        (PASSWORD, "", "", "Enter a new password."),
        (PASSWORD, NEW, NEW + "x", "its repeat differ"),
        (PASSWORD, "too short", "too short", "at least 12 characters"),
        (PASSWORD, PASSWORD, PASSWORD, "not the one you have now"),
        ("not my password at all", NEW, NEW, "That is not your current password."),
    ],
)
def test_problems_are_named_beside_their_field_and_nothing_changes(
    people: Deps, client: TestClient, current: str, new: str, again: str, message: str
) -> None:
    sign_in(client, email("coordinator"))
    refused = _change(client, current, new, again)
    assert refused.status_code == 400 and message in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert signed_in(client)
    assert sign_in(client, email("coordinator"), PASSWORD).status_code == 303


def test_wrong_current_passwords_make_this_address_wait(
    people: Deps, client: TestClient, clock: FakeClock
) -> None:
    sign_in(client, email("coordinator"))
    for _ in range(FREE_TRIES):
        assert _change(client, "guess number one!", NEW).status_code == 400
    held = _change(client, "guess number one!", NEW)
    assert held.status_code == 429 and "Wait a moment" in held.text
    assert signed_in(client)  # nothing is locked: the session goes on
    assert sign_in(client, email("coordinator"), PASSWORD).status_code == 429
    clock.advance(timedelta(seconds=1))
    assert sign_in(client, email("coordinator"), PASSWORD).status_code == 303


def test_the_change_needs_a_session_and_the_form_token(people: Deps, client: TestClient) -> None:
    assert client.get("/account/password", follow_redirects=False).status_code == 303
    sign_in(client, email("coordinator"))
    forged = client.post(
        "/account/password",
        data={"csrf_token": "forged", "current": PASSWORD, "new": NEW, "again": NEW},
    )
    assert forged.status_code == 403
    client.cookies.clear()
    csrf = csrf_of(client.get("/signin").text)
    anonymous = client.post(
        "/account/password",
        data={"csrf_token": csrf, "current": PASSWORD, "new": NEW, "again": NEW},
        follow_redirects=False,
    )
    assert anonymous.status_code in (303, 403)
    assert sign_in(client, email("coordinator"), PASSWORD).status_code == 303
