"""Finding 2: signing out must end the session on the server, not only in the browser.

A session is a row in ``web_session`` holding only the SHA-256 of the random id the cookie
carries; every request looks it up. Signing out, a password change (every other session), a
password set by the operator (every session), losing the sign-in role and deactivation end
the rows, so a copied cookie stops working at once, on either store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import delete, select
from typer.testing import CliRunner

from oscp_flow.cli import app as cli
from oscp_flow.web.session import COOKIE, SALT
from states.clock import FakeClock
from states.persistence import tables as t
from states.services import credentials, sign_ins
from states.services.deps import Deps
from states.services.web_sessions import end_sessions
from tests.oscp_flow.web.support import csrf_of, person
from tests.support.partnership import email, give_passwords
from tests.support.web import PASSWORD, sign_in, signed_in
from tests.support.web_clients import Clients

NEW = "another long passphrase"


@pytest.fixture
def people(partnership: Deps) -> Deps:
    give_passwords(partnership, PASSWORD)
    return partnership


@pytest.fixture
def clients(people: Deps, tmp_path: Path) -> Iterator[Clients]:
    with Clients(people, tmp_path) as made:
        yield made


def _copy(cookie: str, clients: Clients) -> TestClient:
    """Another browser (an attacker's) holding a copy of the cookie."""
    thief = clients("203.0.113.66")
    thief.cookies.set(COOKIE, cookie)
    return thief


def _why_ended(deps: Deps, local: str) -> list[str | None]:
    with deps.uow(readonly=True) as uow:
        return list(
            uow.connection.execute(
                select(t.web_session.c.ended_why)
                .where(t.web_session.c.person_id == person(deps, local))
                .order_by(t.web_session.c.id)
            ).scalars()
        )


def _sign_out(client: TestClient) -> None:
    board = client.get("/board")
    out = client.post("/signout", data={"csrf_token": csrf_of(board.text)}, follow_redirects=False)
    assert out.status_code == 303


def test_a_copied_cookie_is_refused_after_sign_out(people: Deps, clients: Clients) -> None:
    browser = clients()
    assert sign_in(browser, email("coordinator")).status_code == 303
    copied = browser.cookies[COOKIE]
    thief = _copy(copied, clients)
    assert signed_in(thief)  # a copy works while the session lasts...
    _sign_out(browser)
    # ...and not a moment after sign-out, though its signature is still good.
    refused = thief.get("/board", follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == "/signin?next=/board"
    assert _why_ended(people, "coordinator") == ["signed_out"]


def test_signing_in_again_ends_the_browsers_earlier_session(people: Deps, clients: Clients) -> None:
    browser = clients()
    sign_in(browser, email("coordinator"))
    cookie = browser.cookies[COOKIE]
    thief = _copy(cookie, clients)
    # The same browser signs in again (as anyone) with its session cookie still set, from a
    # sign-in form opened in another tab.
    browser.cookies.delete(COOKIE)
    form = {"csrf_token": csrf_of(browser.get("/signin").text)}
    browser.cookies.set(COOKIE, cookie)
    again = browser.post(
        "/signin",
        data={**form, "email": email("chair"), "password": PASSWORD},
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert not signed_in(thief)
    assert _why_ended(people, "coordinator") == ["signed_in_again"]


def test_the_cookie_carries_a_random_id_kept_only_as_its_hash(
    people: Deps, clients: Clients
) -> None:
    browser = clients()
    sign_in(browser, email("coordinator"))
    session_id = URLSafeSerializer("a-test-session-secret-not-for-production", salt=SALT).loads(
        browser.cookies[COOKIE]
    )
    assert isinstance(session_id, str) and len(session_id) >= 43  # 256 bits, base64url
    with people.uow(readonly=True) as uow:
        row = uow.connection.execute(select(t.web_session)).one()
    assert row.token_hash == hashlib.sha256(session_id.encode()).hexdigest()
    assert session_id not in {str(value) for value in row}
    assert row.person_id == person(people, "coordinator") and row.ended_at is None


def test_a_password_change_ends_every_other_session(people: Deps, clients: Clients) -> None:
    here, elsewhere = clients(), clients("198.51.100.20")
    sign_in(here, email("coordinator"))
    sign_in(elsewhere, email("coordinator"))
    thief = _copy(elsewhere.cookies[COOKIE], clients)
    csrf = csrf_of(here.get("/account/password").text)
    changed = here.post(
        "/account/password",
        data={"csrf_token": csrf, "current": PASSWORD, "new": NEW, "again": NEW},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert signed_in(here)
    assert not signed_in(elsewhere) and not signed_in(thief)
    assert _why_ended(people, "coordinator") == [None, "password_changed"]


def test_a_password_set_by_the_operator_ends_every_session(
    people: Deps, clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:

    browsers = [clients(), clients("198.51.100.20")]
    for browser in browsers:
        sign_in(browser, email("chair"))
    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: people)
    done = CliRunner().invoke(cli, ["user", "password", email("chair")], input=f"{NEW}\n{NEW}\n")
    assert done.exit_code == 0, done.stderr
    assert not any(signed_in(browser) for browser in browsers)
    assert _why_ended(people, "chair") == ["password_set", "password_set"]


def test_losing_the_sign_in_role_ends_the_session_row(people: Deps, clients: Clients) -> None:
    browser = clients()
    sign_in(browser, email("coordinator"))
    thief = _copy(browser.cookies[COOKIE], clients)
    with people.uow() as uow:
        uow.connection.execute(
            delete(t.role).where(t.role.c.person_id == person(people, "coordinator"))
        )
        uow.commit()
    assert not signed_in(thief)
    assert _why_ended(people, "coordinator") == ["role_removed"]
    # Given the role back, the old cookie stays dead: the row, not the role, decides.
    with people.uow() as uow:
        uow.connection.execute(
            t.role.insert().values(person_id=person(people, "coordinator"), role="coordinator")
        )
        uow.commit()
    assert not signed_in(browser)


def test_end_sessions_is_what_deactivation_calls(people: Deps, clients: Clients) -> None:
    browsers = [clients(), clients("198.51.100.20")]
    for browser in browsers:
        sign_in(browser, email("coordinator"))
    sign_in(clients(), email("chair"))
    ended = end_sessions(people, person_id=person(people, "coordinator"), why="deactivated")
    assert ended == 2
    assert not any(signed_in(browser) for browser in browsers)
    assert _why_ended(people, "coordinator") == ["deactivated", "deactivated"]
    assert _why_ended(people, "chair") == [None]
    # Ending again finds nothing left to end.
    assert end_sessions(people, person_id=person(people, "coordinator"), why="deactivated") == 0


def test_a_session_ends_at_its_lifetime_whatever_the_cookie_says(
    people: Deps, clients: Clients
) -> None:
    browser = clients(session_lifetime_seconds=3600)
    sign_in(browser, email("coordinator"))
    clock = people.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(minutes=59))
    assert signed_in(browser)
    clock.advance(timedelta(minutes=2))
    assert not signed_in(browser)


def test_sign_in_is_still_refused_with_the_old_password_after_a_set(people: Deps) -> None:
    credentials.set_password(people, email=email("coordinator"), password=NEW)
    address = "192.0.2.10"
    old = sign_ins.authenticate(
        people, email=email("coordinator"), password=PASSWORD, address=address
    )
    assert old is None
    new = sign_ins.authenticate(people, email=email("coordinator"), password=NEW, address=address)
    assert new is not None
