"""Your work, and an auditor's declaration (issue 17, items 2 and 4): an auditor signs in to
their own work, declares on each case assigned to them (a choice is needed; involvement ends
the assignment), and finds the case audits and moderation they have to do; a chair finds the
audits they chair; nobody declares for another."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient

from states.services import auditors, my_work
from states.services.deps import Deps
from tests.oscp_flow.web.support import csrf_of
from tests.support.driver import Driver, drive
from tests.support.partnership import email, give_passwords
from tests.support.web import PASSWORD, sign_in

ONE, TWO = email("auditor.one"), email("auditor.two")
PEOPLE = ("coordinator", "chair", "auditor.one", "auditor.two")


@pytest.fixture
def assigned(partnership: Deps) -> Driver:
    """A MACE with its sample set and the first auditor assigned its first case."""
    give_passwords(partnership, PASSWORD, people=PEOPLE)
    driver = drive(partnership, "mace", "sample_selected")
    auditors.assign_auditor(
        partnership,
        audit=driver.reference,
        actor=email("coordinator"),
        case=driver.cases[0],
        auditor=ONE,
    )
    return driver


def error_beside(page: str, field: str) -> str:
    beside = page.split(f'id="{field}-error">')[1].split("</p>", maxsplit=1)[0]
    return html.unescape(beside.split("</span>")[1])


def test_signing_in_lands_auditors_on_their_work_and_coordinators_on_the_board(
    assigned: Driver, client: TestClient
) -> None:
    assert client.get("/work", follow_redirects=False).headers["location"] == "/signin?next=/work"
    assert sign_in(client, ONE).headers["location"] == "/work"
    assert sign_in(client, email("chair")).headers["location"] == "/work"
    assert sign_in(client, email("coordinator")).headers["location"] == "/board"
    assert sign_in(client, ONE, next="/themes").headers["location"] == "/themes"


def test_an_auditor_declares_no_involvement(assigned: Driver, client: TestClient) -> None:
    ref, case = assigned.reference, assigned.cases[0]
    sign_in(client, ONE)
    work = client.get("/work")
    assert work.status_code == 200
    assert '<a href="/work" aria-current="page">Your work</a>' in work.text
    declaration = f"/audits/{ref}/declarations/{case}"
    assert f'<a href="{declaration}">Declare your involvement' in work.text

    page = client.get(declaration)
    assert page.status_code == 200 and f"Have you been involved in case {case}?" in page.text
    blank = client.post(
        f"/audits/{ref}/do/declare", data={"csrf_token": csrf_of(page.text), "case": case}
    )
    assert blank.status_code == 400
    assert error_beside(blank.text, "involvement") == (
        "Choose whether you have been involved in the case."
    )
    done = client.post(
        f"/audits/{ref}/do/declare",
        data={"csrf_token": csrf_of(blank.text), "case": case, "involvement": "none"},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/work?declared=none"
    shown = client.get("/work?declared=none").text
    assert "Your declaration is recorded: no involvement in the case." in shown
    assert "No involvement" in shown and "Declare your involvement" not in shown
    assert my_work.declaring(assigned.deps, audit=ref, case=case, as_person=ONE).declared == "none"


def test_declaring_involvement_ends_the_assignment(assigned: Driver, client: TestClient) -> None:
    ref, case = assigned.reference, assigned.cases[0]
    sign_in(client, ONE)
    page = client.get(f"/audits/{ref}/declarations/{case}")
    form = {"csrf_token": csrf_of(page.text), "case": case, "involvement": "management"}
    done = client.post(f"/audits/{ref}/do/declare", data=form, follow_redirects=False)
    assert done.headers["location"] == "/work?declared=management"
    shown = html.unescape(client.get(done.headers["location"]).text)
    assert "you were involved in the\ncase's management, so you no longer audit it" in shown
    assert case not in shown and "Nothing is waiting for you" in shown
    # The case is no longer theirs: its page and its form refuse them.
    assert client.get(f"/audits/{ref}/declarations/{case}").status_code == 403
    assert client.post(f"/audits/{ref}/do/declare", data=form).status_code == 403


def test_nobody_declares_for_another(assigned: Driver, client: TestClient) -> None:
    ref, case = assigned.reference, assigned.cases[0]
    sign_in(client, ONE)
    token = csrf_of(client.get(f"/audits/{ref}/declarations/{case}").text)
    for who in (TWO, email("coordinator")):
        sign_in(client, who)
        assert client.get(f"/audits/{ref}/declarations/{case}").status_code == 403
        form = {"csrf_token": token, "case": case, "involvement": "none"}
        assert client.post(f"/audits/{ref}/do/declare", data=form).status_code == 403
    assert my_work.declaring(assigned.deps, audit=ref, case=case, as_person=ONE).declared is None


def test_case_audits_and_moderation_are_linked(partnership: Deps, client: TestClient) -> None:
    give_passwords(partnership, PASSWORD, people=PEOPLE)
    driver = drive(partnership, "mace", "returns_open")
    sign_in(client, TWO)  # the driver gives the second auditor the first case
    work = html.unescape(client.get("/work").text)
    case = driver.cases[0]
    assert f'<a href="/audits/{driver.reference}/cases/{case}">Complete the case audit' in work
    assert "(0 of 3 agencies' returns submitted)" in work
    driver.advance("moderation")
    work = client.get("/work").text
    assert f'<a href="/audits/{driver.reference}/moderation">Moderate the findings' in work

    sign_in(client, email("chair"))
    chairing = client.get("/work").text
    assert f'<a href="/audits/{driver.reference}">{driver.reference}</a>' in chairing
    assert "Moderation: <a" in chairing

    sign_in(client, email("coordinator"))
    board = client.get("/work").text
    assert "every audit is on <a" in board and "Nothing is waiting for you" in board
