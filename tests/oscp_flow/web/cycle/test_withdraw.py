"""Withdrawing an audit from the browser (issue 17 item 8): an "are you sure" page asking
why; refused without a reason beside the field, with what was typed kept; done with one;
the coordinator's alone to do; and an audit that has ended says there is nothing to withdraw."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from states.services import queries
from states.services.deps import Deps
from tests.oscp_flow.web.support import csrf_of, state
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords
from tests.support.web import PASSWORD, sign_in

REASON = "Merged into the thematic review of neglect"


def _sign_in(deps: Deps, client: TestClient, local: str) -> None:
    give_passwords(deps, PASSWORD, people=(local,))
    sign_in(client, email(local))


def _form(page: str, reason: str) -> dict[str, str]:
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version is not None
    return {"csrf_token": csrf_of(page), "version": version.group(1), "reason": reason}


def test_withdrawn_only_with_a_reason(partnership: Deps, client: TestClient) -> None:
    deps = partnership
    ref = drive(deps, "mace", "returns_open").reference
    _sign_in(deps, client, "coordinator")
    page = client.get(f"/audits/{ref}/withdraw").text
    assert f"Are you sure you want to withdraw audit {ref}?" in page
    assert '<label for="reason-withdraw">Why is the audit being withdrawn?</label>' in page
    refused = client.post(f"/audits/{ref}/do/withdraw", data=_form(page, "   "))
    assert refused.status_code == 400
    beside = html.unescape(refused.text.split('id="step-withdraw-error">')[1].split("</p>")[0])
    assert beside.endswith("Could not withdraw the audit: a reason must be given.")
    assert 'aria-invalid="true"' in refused.text.split('id="reason-withdraw"')[1].split(">")[0]
    assert 'href="#reason-withdraw"' in refused.text
    assert state(deps, ref) == "returns_open"
    done = client.post(
        f"/audits/{ref}/do/withdraw", data=_form(refused.text, REASON), follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/audits/{ref}/stages?done=withdraw"
    shown = client.get(done.headers["location"]).text
    assert "Done: Withdraw the audit." in shown and "This audit has ended" in shown
    last = queries.history(deps, audit=ref)[-1]
    assert (last.trigger, last.to_state, last.reason) == ("withdraw", "withdrawn", REASON)
    ended = client.get(f"/audits/{ref}/withdraw").text
    assert f"Audit {ref} has ended" in ended
    assert f'action="/audits/{ref}/do/withdraw"' not in ended


def test_what_was_typed_is_kept_when_refused(partnership: Deps, client: TestClient) -> None:
    deps = partnership
    ref = drive(deps, "mace", "planning").reference
    _sign_in(deps, client, "coordinator")
    page = client.get(f"/audits/{ref}/withdraw").text
    stale = {**_form(page, "<i>Merged</i> with another"), "version": "0"}
    refused = client.post(f"/audits/{ref}/do/withdraw", data=stale)
    assert refused.status_code == 400
    assert "changed by someone else" in refused.text
    kept = refused.text.split('id="reason-withdraw"')[1].split("</textarea>")[0]
    assert "&lt;i&gt;Merged&lt;/i&gt; with another" in kept


def test_only_the_coordinator_withdraws(partnership: Deps, client: TestClient) -> None:
    deps = partnership
    ref = drive(deps, "mace", "returns_open").reference
    _sign_in(deps, client, "chair")
    page = client.get(f"/audits/{ref}/stages")
    assert f'href="/audits/{ref}/withdraw"' not in page.text
    response = client.get(f"/audits/{ref}/withdraw")
    assert response.status_code == 403
    assert "only the coordinator may withdraw it" in html.unescape(response.text)
    forged = {"csrf_token": csrf_of(page.text), "version": "1", "reason": REASON}
    assert client.post(f"/audits/{ref}/do/withdraw", data=forged).status_code == 403
    assert state(deps, ref) == "returns_open"
