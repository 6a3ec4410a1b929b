"""The coordinator pages' rules: only coordinators and learning hub members sign in, by POST
with a form token; wrong passwords make the address they come from wait (on the engine's
clock) but lock no one out; setting a password ends old sessions; and an agency's link opens
nothing here."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import delete
from typer.testing import CliRunner

from oscp_flow.cli import app as cli
from oscp_flow.rehearsal.walkthrough import rehearse
from oscp_flow.web.coordinator import REFUSED, TOO_SOON
from oscp_flow.web.diagram_svg import draw
from oscp_flow.web.session import COOKIE as SESSION
from states.clock import FakeClock
from states.errors import NoSignIn, WeakPassword
from states.persistence import tables as t
from states.rules.catalogue import Catalogue
from states.rules.quarters import Quarter, plain_day
from states.rules.throttling import FREE_TRIES
from states.services import credentials, programme, shared_items, sign_ins
from states.services.board import due_in
from states.services.deps import Deps
from states.services.programme import EntryView
from tests.conftest import DEFINITIONS, ROOT
from tests.oscp_flow.web.conftest import MakeClient
from tests.oscp_flow.web.support import assurance_link, csrf_of, person, return_link
from tests.support.driver import drive
from tests.support.partnership import agency_name, email, give_passwords, person_name
from tests.support.web import PASSWORD, sign_in, signed_in

PAGES = ("/board", "/themes", "/audits/AUD-00000000")
SVG = "http://www.w3.org/2000/svg"


@pytest.fixture
def people(partnership: Deps) -> Deps:
    give_passwords(partnership, PASSWORD)
    return partnership


def _refused(response: Response) -> bool:
    return response.status_code == 400 and REFUSED.split(".")[0] in response.text


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_anyone_not_signed_in_to_sign_in(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next={path}"
    assert SESSION not in client.cookies


def test_a_coordinator_signs_in_and_out(people: Deps, client: TestClient) -> None:
    response = sign_in(client, email("coordinator"), next="/themes")
    assert response.status_code == 303 and response.headers["location"] == "/themes"
    cookie = response.headers["set-cookie"]
    for flag in ("HttpOnly", "SameSite=strict", "Secure", "Max-Age=28800", "Path=/"):
        assert flag in cookie
    board = client.get("/board")
    assert board.status_code == 200 and f"Signed in as {person_name('coordinator')}" in board.text
    again = client.get("/signin", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/board"
    out = client.post("/signout", data={"csrf_token": csrf_of(board.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/signin?signed_out=1"
    assert not signed_in(client)
    assert "You have signed out" in client.get("/signin?signed_out=1").text


def test_a_learning_hub_member_signs_in_too(people: Deps, client: TestClient) -> None:
    assert sign_in(client, email("chair")).status_code == 303
    assert signed_in(client)


def test_sign_in_goes_back_only_to_pages_of_this_site(
    people: Deps, make_client: MakeClient
) -> None:
    for wanted in ("//evil.example.org", "https://evil.example.org/board", "/act/x"):
        response = sign_in(make_client(), email("coordinator"), next=wanted)
        assert response.headers["location"] == "/board"


def test_unknown_address_wrong_password_and_no_role_look_the_same(
    people: Deps, client: TestClient
) -> None:
    answers = [
        sign_in(client, "nobody@example.org"),
        sign_in(client, email("coordinator"), "not the password at all"),
        sign_in(client, email("lead.police")),
    ]
    assert all(_refused(r) for r in answers)
    # Word for word the same page, once the echoed address is left out.
    assert len({re.sub(r'value="[^"]*"', "", r.text) for r in answers}) == 1
    assert not signed_in(client)


def test_agencies_cannot_be_given_a_password(people: Deps) -> None:
    with pytest.raises(NoSignIn, match="agencies act by the links"):
        credentials.set_password(people, email=email("lead.police"), password=PASSWORD)
    with pytest.raises(WeakPassword):
        credentials.set_password(people, email=email("coordinator"), password="short")


def test_empty_fields_are_named(people: Deps, client: TestClient) -> None:
    response = sign_in(client, "", "")
    assert response.status_code == 400
    assert 'id="email-error"' in response.text and 'id="password-error"' in response.text


def test_wrong_passwords_make_this_address_wait_and_lock_no_one_out(
    people: Deps, client: TestClient, clock: FakeClock
) -> None:
    for _ in range(FREE_TRIES):
        assert _refused(sign_in(client, email("coordinator"), "wrong guess number"))
    # Held back: even the right password waits, and is told so (nothing is checked).
    held = sign_in(client, email("coordinator"))
    assert held.status_code == 429 and TOO_SOON.split(".")[0] in held.text
    assert held.headers["retry-after"] == "1"
    clock.advance(timedelta(seconds=1))
    assert sign_in(client, email("coordinator")).status_code == 303
    # Another person was never held back.
    other = sign_in(client, email("chair"))
    assert other.status_code == 303


def test_a_right_password_resets_the_count(people: Deps, client: TestClient) -> None:
    for _ in range(FREE_TRIES - 1):
        sign_in(client, email("coordinator"), "wrong guess number")
    assert sign_in(client, email("coordinator")).status_code == 303
    for _ in range(FREE_TRIES - 1):
        sign_in(client, email("coordinator"), "wrong guess number")
    assert sign_in(client, email("coordinator")).status_code == 303


def test_sign_in_without_the_form_token_is_refused(people: Deps, client: TestClient) -> None:
    form = {"email": email("coordinator"), "password": PASSWORD}
    assert client.post("/signin", data=form).status_code == 403
    forged = {**form, "csrf_token": "made-up"}
    assert client.post("/signin", data=forged, follow_redirects=False).status_code == 403
    assert not signed_in(client)


def test_sign_out_without_the_form_token_is_refused(people: Deps, client: TestClient) -> None:
    sign_in(client, email("coordinator"))
    assert client.post("/signout", data={}).status_code == 403
    assert signed_in(client)


def test_sign_in_is_rate_limited(people: Deps, make_client: MakeClient) -> None:
    client = make_client(signin_rate_limit="3/minute")
    for _ in range(3):
        assert sign_in(client, email("coordinator"), "wrong guess number").status_code == 400
    assert sign_in(client, email("coordinator")).status_code == 429


def test_setting_a_password_ends_earlier_sessions(people: Deps, client: TestClient) -> None:
    sign_in(client, email("coordinator"))
    assert signed_in(client)
    credentials.set_password(people, email=email("coordinator"), password="another long passphrase")
    assert not signed_in(client)
    assert _refused(sign_in(client, email("coordinator")))
    assert sign_in(client, email("coordinator"), "another long passphrase").status_code == 303


def test_a_session_lasts_eight_hours(people: Deps, client: TestClient, clock: FakeClock) -> None:
    sign_in(client, email("coordinator"))
    clock.advance(timedelta(hours=7, minutes=59))
    assert signed_in(client)
    clock.advance(timedelta(minutes=2))
    assert not signed_in(client)


def test_losing_the_role_ends_the_session(people: Deps, client: TestClient) -> None:
    sign_in(client, email("coordinator"))
    with people.uow() as uow:
        uow.connection.execute(
            delete(t.role).where(t.role.c.person_id == person(people, "coordinator"))
        )
        uow.commit()
    assert not signed_in(client)


def test_an_agency_link_opens_nothing_here(people: Deps, client: TestClient) -> None:
    _, token = return_link(people, "section_11")
    assert client.get(f"/act/{token}").status_code == 200
    assert client.cookies  # the link's form cookie
    for path in PAGES:
        assert client.get(path, follow_redirects=False).status_code == 303
    # Nor does a session cookie someone made up, or one signed with another secret.
    client.cookies.set(SESSION, client.cookies.get("oscp_form") or "x")
    assert not signed_in(client)


def test_a_session_from_another_secret_is_refused(people: Deps, make_client: MakeClient) -> None:
    one, other = make_client(), make_client()
    session = sign_in(one, email("coordinator")).cookies[SESSION]
    other.cookies.set(SESSION, session)
    assert not signed_in(other)


def test_the_audit_page_shows_its_parts_and_records_the_read(
    people: Deps, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    reference, _ = assurance_link(people)
    sign_in(client, email("coordinator"))
    with caplog.at_level(logging.INFO, logger="oscp_flow.web.coordinator"):
        page = client.get(f"/audits/{reference}")
    assert page.status_code == 200
    for shown in (
        "Now: Case audits open",
        '<g class="state current" id="state-returns_open" aria-current="step">',
        "Agencies and their returns",
        agency_name("police"),
        "Immediate-risk escalations",
        "Open",
        "History",
        person_name("chair"),
    ):
        assert shown in page.text, shown
    # A coordinator reads the concern itself here (issue 16, item 7); the read is kept.
    assert "SECRET-CONCERN-TEXT" in page.text
    coordinator = person(people, "coordinator")
    assert f"person {coordinator} read audit {reference}" in caplog.messages


def test_the_audit_page_shows_what_the_audit_must_share(
    people: Deps, client: TestClient, clock: FakeClock
) -> None:
    reference = drive(people, "mace", "dissemination").reference
    shared_on = clock.now().date() - timedelta(days=3)
    shared_items.record_shared(
        people,
        audit=reference,
        actor=email("coordinator"),
        item="briefing",
        channel="briefing_session",
        on=shared_on,
    )
    sign_in(client, email("coordinator"))
    page = client.get(f"/audits/{reference}")
    assert page.status_code == 200
    section = page.text[page.text.index('id="sharing"') : page.text.index('id="history"')]
    for shown in (
        "Findings presented to the learning hub",
        "learning hub meeting",
        f"{plain_day(shared_on)} by briefing session (recorded by {person_name('coordinator')})",
        "Not yet",
    ):
        assert shown in section, shown


def test_an_unknown_audit_is_not_found(people: Deps, client: TestClient) -> None:
    sign_in(client, email("coordinator"))
    assert client.get("/audits/AUD-NOTTHERE").status_code == 404


def test_the_board_groups_the_programme_and_audits(
    people: Deps, client: TestClient, clock: FakeClock
) -> None:
    programme.load_programme(people, ROOT / "definitions" / "programme" / "oscp-2025-28.yaml")
    waiting = rehearse(people, "mace", goal="awaiting_sign_off").reference
    planned = programme.start_from_programme(
        people, key="sexual-abuse-mace", lead=email("chair"), actor=email("coordinator")
    ).reference
    open_returns = rehearse(people, "section_11", goal="returns_open").reference
    clock.advance(timedelta(days=120))  # past every deadline, into the next quarter
    sign_in(client, email("coordinator"))
    page = client.get("/board").text
    sections = re.split(r'<h2 id="', page)
    due, in_progress, awaiting, overdue, unplanned, whole = sections[1:7]
    assert due.startswith('due">Due this quarter: April to June 2026')
    assert "effectiveness" in due.lower()  # quarterly, so due every quarter
    assert planned in in_progress and waiting not in in_progress
    assert waiting in awaiting and planned not in awaiting
    assert open_returns in overdue
    assert waiting in unplanned and open_returns in unplanned and planned not in unplanned
    assert whole.count("<tr>") == 15 + 1  # every entry, and the header


def test_the_theme_view_shows_counts_only(people: Deps, client: TestClient) -> None:
    reference = rehearse(people, "mace", goal="awaiting_sign_off").reference
    sign_in(client, email("chair"))
    page = client.get("/themes")
    assert page.status_code == 200
    assert "Rehearsal" in page.text and reference in page.text
    assert 'class="bar"' in page.text
    assert agency_name("police") in page.text
    assert "Equality, equity, diversity and inclusion" in page.text


def test_oscp_user_password(people: Deps, monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: people)
    runner = CliRunner()
    new = "a brand new passphrase"
    differ = runner.invoke(cli, ["user", "password", email("chair")], input=f"{new}\nother\n")
    assert differ.exit_code == 1 and "differ" in differ.stderr
    agency = runner.invoke(cli, ["user", "password", email("lead.police")], input=f"{new}\n{new}\n")
    assert agency.exit_code == 1 and "cannot sign in" in agency.stderr
    done = runner.invoke(cli, ["user", "password", email("chair")], input=f"{new}\n{new}\n")
    assert done.exit_code == 0, done.stderr
    assert new not in done.stdout
    signed = sign_ins.authenticate(people, email=email("chair"), password=new, address="::1")
    assert signed is not None


@pytest.mark.parametrize("audit_type", sorted(Catalogue.from_directory(DEFINITIONS).audit_types))
def test_every_diagram_draws_every_state_and_fills_only_the_current_one(audit_type: str) -> None:
    definition = Catalogue.from_directory(DEFINITIONS).current(audit_type).definition
    for state in definition.states:
        svg = ElementTree.fromstring(str(draw(definition, state.name).svg))  # well-formed XML
        groups = svg.findall(f"{{{SVG}}}g")
        assert {g.get("id") for g in groups} == {f"state-{s.name}" for s in definition.states}
        current = [g for g in groups if "current" in (g.get("class") or "").split()]
        assert [g.get("id") for g in current] == [f"state-{state.name}"]
    drawing = draw(definition, definition.initial_state)
    assert "Raise an immediate-risk concern" in drawing.anywhere


@pytest.mark.parametrize(
    ("due", "today", "holds"),
    [
        ((2026, 3, None), date(2026, 1, 5), True),
        ((2026, 3, None), date(2026, 4, 1), False),
        ((2025, 3, None), date(2026, 3, 1), False),
        ((2025, 8, "quarterly"), date(2026, 11, 30), True),
        ((2027, 1, "quarterly"), date(2026, 11, 30), False),
        ((2025, 5, "annual"), date(2026, 4, 2), True),
        ((2025, 5, "annual"), date(2026, 7, 2), False),
        ((2026, None, None), date(2026, 7, 2), False),
    ],
)
def test_what_is_due_this_quarter(
    due: tuple[int, int | None, str | None], today: date, holds: bool
) -> None:
    year, month, recurring = due
    entry = EntryView(
        "p", "k", "", year, month, recurring, "", "mace", "", (), "", "", "", None, None
    )
    assert due_in(Quarter.of(today), entry) is holds


def test_refusals_on_these_pages_speak_to_someone_signed_in(
    people: Deps, client: TestClient
) -> None:
    """No "use the link in your e-mail" for a coordinator: they came by the board."""
    refused = client.post("/signin", data={"email": email("coordinator"), "password": "x"})
    assert refused.status_code == 403
    assert "page that showed it" in refused.text and "e-mail" not in refused.text
    sign_in(client, email("coordinator"))
    unknown = client.get("/audits/AUD-NOTKNOWN")
    assert unknown.status_code == 404
    assert "programme board" in unknown.text and "your e-mail" not in unknown.text
    link_like = client.get("/act/" + "x" * 43)
    assert link_like.status_code == 404 and "your e-mail" in link_like.text
