"""Sign-in with the organisation's account, driven over HTTP through a real OpenID Connect
provider on loopback (``tests.support.oidc_provider``): the browser's part is played by the
test client and by posting the provider's own sign-in form. Chromium walks the same way in
``test_oidc_browser.py``; here are the refusals, each against the real provider."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from pydantic import SecretStr
from sqlalchemy import func, select

from oscp_flow.settings import IdentityProvider, Settings
from oscp_flow.web import WebConfig, create_app
from oscp_flow.web.session import COOKIE as SESSION
from states.clock import FakeClock, SystemClock
from states.persistence import tables as t
from states.services import people
from states.services.deps import Deps
from tests.oscp_flow.web.support import BASE, csrf_of
from tests.support.oidc_provider import (
    LoopbackProvider,
    Misbehaviour,
    deny_at_provider,
    oidc_provider,
    person,
    sign_in_at_provider,
)
from tests.support.partnership import email
from tests.support.ports import refused_port
from tests.support.web import signed_in

USERS = (
    # The directory has coordinator@example.org: the provider may spell it otherwise.
    person("kit", "Coordinator@Example.ORG"),
    person("stranger", "stranger@example.org"),
    person("unconfirmed", email("coordinator"), verified=False),
    person("unsaid", email("coordinator"), verified=None),
    person("police", email("lead.police")),
    person("chair", email("chair")),
)
START = "/signin/oidc/northvale"
NOT_HERE = "is not one that can sign in here"
NOT_PROVEN = "did not confirm who you are"


@pytest.fixture
def provider() -> Iterator[LoopbackProvider]:
    with oidc_provider(USERS) as running:
        yield running


def _app_client(deps: Deps, home: Path, *providers: IdentityProvider) -> TestClient:
    settings = Settings(base_url=BASE, home=home, oidc_providers=list(providers))
    config = WebConfig(csrf_secret=SecretStr("a-test-secret"), rate_limit_enabled=False)
    return TestClient(create_app(deps, settings, config), base_url=BASE)


@pytest.fixture
def client(
    partnership: Deps, clock: FakeClock, provider: LoopbackProvider, tmp_path: Path
) -> Iterator[TestClient]:
    # The provider signs its tokens on the real clock, so the engine's reads the same time.
    clock.set(SystemClock().now())
    with _app_client(partnership, tmp_path, provider.entry()) as app_client:
        yield app_client


def _leave(client: TestClient) -> str:
    """Off to the provider: the address of its sign-in."""
    answer = client.get(START, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def _back(client: TestClient, callback: str) -> Response:
    assert callback.startswith(f"{BASE}/signin/oidc/northvale/callback?")
    return client.get(callback.removeprefix(BASE), follow_redirects=False)


def _through(client: TestClient, sub: str) -> Response:
    return _back(client, sign_in_at_provider(_leave(client), sub))


def _attempts(deps: Deps) -> int:
    with deps.uow(readonly=True) as uow:
        return int(
            uow.connection.execute(select(func.count()).select_from(t.sign_in_attempt)).scalar_one()
        )


def test_the_sign_in_page_offers_the_provider_above_the_password_form(
    client: TestClient,
) -> None:
    page = client.get("/signin?next=/themes").text
    assert page.index("Sign in with Northvale Council") < page.index('name="password"')
    assert 'href="/signin/oidc/northvale?next=/themes"' in page


def test_without_providers_the_sign_in_page_is_as_before(partnership: Deps, tmp_path: Path) -> None:
    with _app_client(partnership, tmp_path) as plain:
        page = plain.get("/signin").text
        assert "Sign in with" not in page and "organisation" not in page
        assert plain.get(START).status_code == 404


def test_a_directory_person_signs_in_with_pkce_state_and_nonce(
    client: TestClient, provider: LoopbackProvider
) -> None:
    asked = parse_qs(urlsplit(_leave(client)).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["scope"] == ["openid email"]
    assert asked["state"][0] and asked["nonce"][0] and asked["code_challenge"][0]
    client.get("/signin")  # a fresh attempt for the sign-in itself
    answer = _through(client, "kit")
    assert answer.status_code == 200, answer.text
    assert 'http-equiv="refresh" content="0; url=/' in answer.text
    assert signed_in(client)
    # The provider checked the verifier against the challenge (it refuses otherwise).
    assert provider.token_requests == 1 and provider.pkce_refusals == 0


def test_the_page_asked_for_is_where_signing_in_leads(client: TestClient) -> None:
    callback = sign_in_at_provider(
        client.get(f"{START}?next=/themes", follow_redirects=False).headers["location"], "kit"
    )
    assert 'content="0; url=/themes"' in _back(client, callback).text


@pytest.mark.parametrize("sub", ["stranger", "police"])
def test_an_unknown_address_or_one_without_a_sign_in_role_is_refused(
    client: TestClient, sub: str
) -> None:
    answer = _through(client, sub)
    assert answer.status_code == 403
    assert NOT_HERE in answer.text and "ask the partnership" in answer.text
    assert SESSION not in answer.cookies and not signed_in(client)


def test_a_removed_person_sees_exactly_what_an_unknown_one_does(
    partnership: Deps, client: TestClient
) -> None:
    unknown = _through(client, "stranger")
    people.deactivate_person(
        partnership, person=email("chair"), actor=email("coordinator"), reason="Left the post"
    )
    removed = _through(client, "chair")
    assert (removed.status_code, removed.text) == (unknown.status_code, unknown.text)


def test_a_removed_person_could_sign_in_before(client: TestClient) -> None:
    """The control for the test above: the chair's own account works while they are here."""
    assert _through(client, "chair").status_code == 200 and signed_in(client)


@pytest.mark.parametrize("sub", ["unconfirmed", "unsaid"])
def test_an_address_the_provider_does_not_confirm_is_refused(client: TestClient, sub: str) -> None:
    answer = _through(client, sub)
    assert answer.status_code == 403
    assert "does not confirm its e-mail address" in answer.text
    assert not signed_in(client)


@pytest.mark.parametrize(
    "misbehaviour",
    [
        Misbehaviour.WRONG_AUDIENCE,
        Misbehaviour.EXPIRED,
        Misbehaviour.TAMPERED,
        Misbehaviour.WRONG_ISSUER,
        Misbehaviour.WRONG_NONCE,
    ],
)
def test_an_id_token_failing_a_check_is_refused(
    client: TestClient, provider: LoopbackProvider, misbehaviour: Misbehaviour
) -> None:
    provider.misbehaviour = misbehaviour
    answer = _through(client, "kit")
    assert answer.status_code == 400
    assert f"Northvale Council {NOT_PROVEN}" in answer.text
    assert SESSION not in answer.cookies and not signed_in(client)


def test_a_token_re_signed_with_a_new_key_unchanged_is_accepted(
    client: TestClient, provider: LoopbackProvider
) -> None:
    """The control for the refusals above (their tokens are signed the same way), and a key
    rollover: the keys cached from the first sign-in lack the new one, so they are fetched
    again once."""
    assert _through(client, "kit").status_code == 200
    provider.misbehaviour = Misbehaviour.RESIGNED
    assert _through(client, "kit").status_code == 200 and signed_in(client)


def test_a_replayed_state_is_refused(client: TestClient) -> None:
    callback = sign_in_at_provider(_leave(client), "kit")
    assert _back(client, callback).status_code == 200
    client.cookies.delete(SESSION)
    replayed = _back(client, callback)
    assert replayed.status_code == 400 and "already been used" in replayed.text
    assert not signed_in(client)


def test_a_callback_opened_in_another_browser_is_refused_and_spends_nothing(
    partnership: Deps, client: TestClient, tmp_path: Path, provider: LoopbackProvider
) -> None:
    """Login CSRF: an attacker's own callback address, opened in the victim's browser."""
    callback = sign_in_at_provider(_leave(client), "kit")
    with _app_client(partnership, tmp_path, provider.entry()) as victim:
        forced = _back(victim, callback)
        assert forced.status_code == 400 and "another browser" in forced.text
        assert not signed_in(victim)
    assert _back(client, callback).status_code == 200


def test_an_attempt_older_than_ten_minutes_is_refused(client: TestClient, clock: FakeClock) -> None:
    callback = sign_in_at_provider(_leave(client), "kit")
    clock.advance(timedelta(minutes=10, seconds=1))
    answer = _back(client, callback)
    assert answer.status_code == 400 and "took too long" in answer.text


def test_a_code_the_provider_will_not_exchange_is_refused(
    client: TestClient, provider: LoopbackProvider
) -> None:
    callback = sign_in_at_provider(_leave(client), "kit")
    provider.challenges.clear()  # the provider no longer matches the verifier
    answer = _back(client, callback)
    assert answer.status_code == 400 and NOT_PROVEN in answer.text
    assert provider.pkce_refusals == 1


def test_cancelling_at_the_provider_is_a_plain_refusal(client: TestClient) -> None:
    authorize = _leave(client)
    answer = _back(client, deny_at_provider(authorize))
    assert answer.status_code == 400 and NOT_PROVEN in answer.text


def test_a_provider_that_is_down_gives_a_plain_page_and_no_attempt(
    partnership: Deps, clock: FakeClock, tmp_path: Path
) -> None:
    down = IdentityProvider(
        name="northvale",
        label="Northvale Council",
        issuer=f"http://127.0.0.1:{refused_port()}",
        client_id="x",
        client_secret=SecretStr("y"),
    )
    with _app_client(partnership, tmp_path, down) as app_client:
        answer = app_client.get(START, follow_redirects=False)
    assert answer.status_code == 502
    assert "Northvale Council could not be reached" in answer.text
    assert "sign in with your password" in answer.text
    assert _attempts(partnership) == 0


def test_a_discovery_document_for_another_issuer_is_not_used(
    partnership: Deps, provider: LoopbackProvider, tmp_path: Path
) -> None:
    other = provider.entry().model_copy(update={"issuer": provider.issuer + "/"})
    with _app_client(partnership, tmp_path, other) as app_client:
        assert app_client.get(START, follow_redirects=False).status_code == 502


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(client: TestClient) -> None:
    assert _through(client, "kit").status_code == 200
    copy = client.cookies.get(SESSION)
    assert copy
    csrf = csrf_of(client.get("/board").text)
    client.post("/signout", data={"csrf_token": csrf}, follow_redirects=False)
    client.cookies.set(SESSION, copy, domain="oscp.example.org")
    assert not signed_in(client)


def test_no_log_line_holds_the_code_the_state_or_the_address(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    callback = sign_in_at_provider(_leave(client), "kit")
    query = parse_qs(urlsplit(callback).query)
    _back(client, callback)
    _through(client, "stranger")
    # Request lines to the app and to the provider's sign-in are the browser's side (the
    # test client's, the test's own posting), not the app's: the app never asks for either.
    browser = (BASE, "/oauth2/authorize")
    text = "\n".join(
        message
        for message in (record.getMessage() for record in caplog.records)
        if not any(part in message for part in browser)
    )
    assert "signed in through northvale" in text  # the lines are there, by person id
    for secret in (query["code"][0], query["state"][0], "example.org", "Example.ORG"):
        assert secret.lower() not in text.lower()
