"""The auditors of an audit's cases in the browser (issue 17, item 2): the chair assigns one of
the partnership's auditors to each case; a refusal (an auditor who declared involvement, one
already on the case, no auditor chosen) is shown on that case's row with the choice kept;
nobody else reads or assigns here."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from states.services import auditors, partnership
from states.services.deps import Deps
from tests.oscp_flow.web.support import csrf_of
from tests.support.driver import Driver, drive
from tests.support.partnership import email, give_passwords, person_name
from tests.support.web import PASSWORD, sign_in

ONE = email("auditor.one")


@pytest.fixture
def sampled(partnership: Deps) -> Driver:
    """A MACE with three cases sampled, nobody assigned yet; the chair's password set."""
    give_passwords(partnership, PASSWORD)
    return drive(partnership, "mace", "sample_selected")


def error_beside(page: str, field: str) -> str:
    beside = page.split(f'id="{field}-error">')[1].split("</p>", maxsplit=1)[0]
    return html.unescape(beside.split("</span>")[1])


def assign(client: TestClient, reference: str, case: str, auditor: str, token: str) -> Response:
    form = {"csrf_token": token, "case": case, "auditor": auditor}
    return client.post(f"/audits/{reference}/do/assign", data=form, follow_redirects=False)


def test_signed_out_people_are_sent_to_sign_in(sampled: Driver, client: TestClient) -> None:
    response = client.get(f"/audits/{sampled.reference}/auditors", follow_redirects=False)
    assert response.headers["location"] == f"/signin?next=/audits/{sampled.reference}/auditors"


def test_the_chair_assigns_an_auditor_to_each_case(sampled: Driver, client: TestClient) -> None:
    ref, (c1, c2, _) = sampled.reference, sampled.cases
    sign_in(client, email("chair"))
    page = client.get(f"/audits/{ref}/auditors")
    assert page.status_code == 200
    assert page.text.count("None yet") == 3
    assert f'<label for="auditor-{c1}" class="visually-hidden">Auditor for case {c1}</label>' in (
        page.text
    )
    done = assign(client, ref, c1, ONE, csrf_of(page.text))
    assert done.headers["location"] == f"/audits/{ref}/auditors?done=assigned"
    shown = html.unescape(client.get(f"/audits/{ref}/auditors?done=assigned").text)
    assert "The auditor is assigned." in shown
    assert f"{person_name('auditor.one')}: awaited" in shown
    assert [d.auditor.email for d in auditors.list_auditors(sampled.deps, audit=ref).on(c1)] == [
        ONE
    ]

    # Assigned twice: refused on that case's row, the auditor chosen kept.
    again = client.post(
        f"/audits/{ref}/do/assign",
        data={"csrf_token": csrf_of(shown), "case": c1, "auditor": ONE},
    )
    assert again.status_code == 400
    assert error_beside(again.text, f"auditor-{c1}") == (
        f"{person_name('auditor.one')} is already assigned to case {c1}."
    )
    assert f'<a href="#auditor-{c1}">' in again.text
    row = again.text.split(f'id="auditor-{c1}"')[1].split("</select>")[0]
    assert re.search(rf'value="{re.escape(ONE)}" selected', row)

    # No auditor chosen.
    blank = client.post(
        f"/audits/{ref}/do/assign", data={"csrf_token": csrf_of(again.text), "case": c2}
    )
    assert blank.status_code == 400
    assert error_beside(blank.text, f"auditor-{c2}") == f"Choose an auditor for case {c2}."


def test_an_auditor_who_declared_involvement_is_refused_on_the_row(
    sampled: Driver, client: TestClient
) -> None:
    ref, case = sampled.reference, sampled.cases[1]
    partnership.declare_conflict(
        sampled.deps, person=ONE, case_reference=case, involvement="practice"
    )
    sign_in(client, email("coordinator"))
    page = client.get(f"/audits/{ref}/auditors")
    refused = client.post(
        f"/audits/{ref}/do/assign",
        data={"csrf_token": csrf_of(page.text), "case": case, "auditor": ONE},
    )
    assert refused.status_code == 400
    assert error_beside(refused.text, f"auditor-{case}") == (
        f"{person_name('auditor.one')} declared involvement in case {case}, so cannot audit "
        "it; assign an independent auditor."
    )
    assert "declared involvement in its practice: cannot audit it" in refused.text
    assert not [d for d in auditors.list_auditors(sampled.deps, audit=ref).auditors if d.assigned]


def test_a_case_gone_from_the_sample_is_said_at_the_top(
    sampled: Driver, client: TestClient
) -> None:
    sign_in(client, email("chair"))
    page = client.get(f"/audits/{sampled.reference}/auditors")
    refused = client.post(
        f"/audits/{sampled.reference}/do/assign",
        data={"csrf_token": csrf_of(page.text), "case": "NV-GONE", "auditor": ONE},
    )
    assert refused.status_code == 400
    assert "No case &#39;NV-GONE&#39; was found" in refused.text


@pytest.mark.parametrize("who", ["auditor.one", "lhm"])
def test_nobody_else_reads_or_assigns(sampled: Driver, client: TestClient, who: str) -> None:
    give_passwords(sampled.deps, PASSWORD, people=(who,))
    sign_in(client, email("chair"))
    token = csrf_of(client.get(f"/audits/{sampled.reference}/auditors").text)
    sign_in(client, email(who))
    assert client.get(f"/audits/{sampled.reference}/auditors").status_code == 403
    posted = assign(client, sampled.reference, sampled.cases[0], ONE, token)
    assert posted.status_code == 403
    assert not auditors.list_auditors(sampled.deps, audit=sampled.reference).auditors
