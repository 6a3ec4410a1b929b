"""The returns tracker (issue 17 item 3): each agency's returns against the deadline with the
reminders sent, "Resend the link" on each agency still owing, "Extend the deadline" for the
coordinator only, and each submitted return read-only. Refusals are the engine's sentence
beside the form with what was typed kept; a learning hub member is refused (403); no one
signed out gets in."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select

from states.clock import LONDON
from states.persistence import tables as t
from states.services import returns
from states.services.deps import Deps
from states.services.return_tracker import tracker
from tests.oscp_flow.web.support import csrf_of
from tests.support.driver import complete_answers, drive
from tests.support.partnership import email, give_passwords
from tests.support.web import PASSWORD, sign_in


@pytest.fixture
def audit(partnership: Deps) -> tuple[str, list[str]]:
    """A MACE with case audits open, the police's three submitted, the others owing."""
    driver = drive(partnership, "mace", "returns_open")
    tool = partnership.catalogue.tool("mace")
    assert tool is not None
    for case in driver.cases:
        returns.submit(
            partnership,
            audit=driver.reference,
            actor=email("lead.police"),
            agency="police",
            case=case,
            answers=complete_answers(tool),
        )
    return driver.reference, list(driver.cases)


def _enter(client: TestClient, deps: Deps, local: str) -> None:
    """Signs ``local`` in (a password is hashed only for whoever the test needs)."""
    give_passwords(deps, PASSWORD, people=(local,))
    sign_in(client, email(local))


def _text(response: Response) -> str:
    """The page as read: tags dropped, entities decoded, whitespace folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", response.text)).split())


def _post(client: TestClient, reference: str, verb: str, **form: str) -> Response:
    page = client.get(f"/audits/{reference}/returns")
    return client.post(
        f"/audits/{reference}/do/{verb}",
        data={"csrf_token": csrf_of(page.text), **form},
        follow_redirects=False,
    )


def _resent(deps: Deps) -> int:
    with deps.uow(readonly=True) as uow:
        found = uow.connection.execute(
            select(t.outbox.c.id).where(t.outbox.c.key.startswith("return_resent"))
        )
        return len(found.all())


def test_signed_out_is_sent_to_sign_in(client: TestClient, audit: tuple[str, list[str]]) -> None:
    reference, _ = audit
    for part in ("returns", "returns/police"):
        response = client.get(f"/audits/{reference}/{part}", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/signin")


def test_the_tracker_for_the_coordinator(
    client: TestClient, partnership: Deps, audit: tuple[str, list[str]]
) -> None:
    reference, cases = audit
    _enter(client, partnership, "coordinator")
    page = client.get(f"/audits/{reference}/returns")
    assert page.status_code == 200
    text = _text(page)
    assert "Returns for audit" in text and "Case audits open" in text
    assert "Northvale Police" in text and "3 of 3" in text and "0 of 3" in text
    assert f"{cases[0]}, {cases[1]}, {cases[2]}" in text  # cases the others still owe
    assert 'href="/audits/' + reference + '/returns/police"' in page.text
    assert "See the returns of Northvale Police" in text
    assert 'id="resend-csc"' in page.text and 'id="resend-community_health"' in page.text
    assert 'id="resend-police"' not in page.text
    assert "Resend the link to Northvale Children's Social Care" in text
    assert 'id="until"' in page.text and "Extend the deadline" in text
    assert (
        '<table class="data"' in page.text
        and '<div class="table-wrap" tabindex="0" role="region"' in page.text
    )


def test_the_chair_may_resend_but_not_extend(
    client: TestClient, partnership: Deps, audit: tuple[str, list[str]]
) -> None:
    reference, _ = audit
    _enter(client, partnership, "chair")
    page = client.get(f"/audits/{reference}/returns")
    assert page.status_code == 200
    assert 'id="resend-csc"' in page.text and 'id="until"' not in page.text
    refused = client.post(
        f"/audits/{reference}/do/extend",
        data={"csrf_token": csrf_of(page.text), "until": "2030-01-31", "reason": "Half term"},
    )
    assert refused.status_code == 403


def test_a_learning_hub_member_is_refused(
    client: TestClient, partnership: Deps, audit: tuple[str, list[str]]
) -> None:
    reference, cases = audit
    _enter(client, partnership, "lhm")
    for part in ("returns", "returns/police", f"returns/police/{cases[0]}"):
        assert client.get(f"/audits/{reference}/{part}").status_code == 403


def test_a_link_is_sent_again(
    client: TestClient, partnership: Deps, audit: tuple[str, list[str]]
) -> None:
    reference, _ = audit
    _enter(client, partnership, "coordinator")
    sent = _post(client, reference, "resend", agency="csc")
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/audits/{reference}/returns?resent=csc"
    assert _resent(partnership) == 1
    shown = _text(client.get(sent.headers["location"]))
    assert "A fresh link to its return is on its way to Northvale Children's Social Care" in shown


def test_a_refused_resend_is_shown_beside_its_row(
    client: TestClient, partnership: Deps, audit: tuple[str, list[str]]
) -> None:
    reference, _ = audit
    _enter(client, partnership, "coordinator")
    refused = _post(client, reference, "resend", agency="police")
    assert refused.status_code == 400
    text = _text(refused)
    sentence = f"Northvale Police owes no return on audit {reference} just now"
    assert sentence in text and 'href="#agency-police"' in refused.text
    assert 'id="agency-police-error"' in refused.text
    unknown = _post(client, reference, "resend", agency="housing")
    assert unknown.status_code == 400 and "There is a problem" in unknown.text
    assert "housing" in _text(unknown)
    assert _resent(partnership) == 0


def test_the_deadline_is_extended(
    client: TestClient, partnership: Deps, audit: tuple[str, list[str]]
) -> None:
    reference, _ = audit
    before = tracker(partnership, audit=reference, as_person=email("coordinator")).deadline
    assert before is not None
    later = (before.due_at.astimezone(LONDON) + timedelta(days=7)).date()
    _enter(client, partnership, "coordinator")
    moved = _post(client, reference, "extend", until=later.isoformat(), reason="Half term")
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/audits/{reference}/returns?extended=1"
    shown = _text(client.get(moved.headers["location"]))
    assert f"The deadline is extended to 5pm on {later.strftime('%A')} {later.day} " in shown


def test_a_refused_extension_keeps_what_was_typed(
    client: TestClient, partnership: Deps, audit: tuple[str, list[str]]
) -> None:
    reference, _ = audit
    _enter(client, partnership, "coordinator")
    past = _post(client, reference, "extend", until="2020-01-31", reason="Typed <b>reason</b>")
    assert past.status_code == 400
    assert "A deadline can only be extended to a date still to come." in _text(past)
    assert 'href="#extend"' in past.text and 'id="extend-error"' in past.text
    assert 'value="2020-01-31"' in past.text
    assert ">Typed &lt;b&gt;reason&lt;/b&gt;</textarea>" in past.text
    assert "<title>Error: " in past.text

    blank = _post(client, reference, "extend", until="31/01/2030", reason="")
    assert blank.status_code == 400
    text = _text(blank)
    assert "Say why the deadline is being extended." in text
    assert "Enter the new deadline as a date, for example 2027-03-31." in text
    assert 'href="#until"' in blank.text and 'href="#reason"' in blank.text
    assert 'value="31/01/2030"' in blank.text


def test_a_submitted_return_is_read(
    client: TestClient, partnership: Deps, audit: tuple[str, list[str]]
) -> None:
    reference, cases = audit
    _enter(client, partnership, "chair")
    listed = client.get(f"/audits/{reference}/returns/police")
    assert listed.status_code == 200
    assert f'href="/audits/{reference}/returns/police/{cases[0]}"' in listed.text
    one = client.get(f"/audits/{reference}/returns/police/{cases[0]}")
    assert one.status_code == 200
    text = _text(one)
    assert "Northvale Police: case" in text and "The child's lived experience and voice" in text
    assert "Outstanding" in text  # the grade's label, not its value
    owing = client.get(f"/audits/{reference}/returns/csc/{cases[0]}")
    assert owing.status_code == 200 and "This return is not started." in _text(owing)
    assert client.get(f"/audits/{reference}/returns/police/NOT-A-CASE").status_code == 404


def test_an_agency_return_is_read_whole(client: TestClient, partnership: Deps) -> None:
    reference = drive(partnership, "section_11", "moderation").reference
    _enter(client, partnership, "coordinator")
    page = client.get(f"/audits/{reference}/returns/police")
    assert page.status_code == 200
    text = _text(page)
    assert "Northvale Police: return" in text and "Submitted answers, read-only" in text
    assert "Recorded by the audit test driver" in text
    tracked = _text(client.get(f"/audits/{reference}/returns"))
    assert "Closed: the counts are the last round's" in tracked and "Resend the link" not in tracked
