"""The learning hub reviews an action's evidence on the audit's page: it reads the evidence,
accepts it or sends it back with a reason (the agency is e-mailed a new link and reads the
reason there); a review needs a session and the page's form token, and is refused plainly
when it cannot be done."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from oscp_flow.demo import email, give_demo_passwords
from states import tables as t
from states.services import actions
from states.services.deps import Deps
from tests.oscp_flow.web.support import action_link, csrf_of
from tests.oscp_flow.web.test_coordinator import PASSWORD, sign_in

EVIDENCE = "Re-audit of twenty strategy discussions: all agencies invited attended."


@pytest.fixture
def people(partnership: Deps) -> Deps:
    give_demo_passwords(partnership, PASSWORD)
    return partnership


def _submitted(deps: Deps) -> str:
    reference, _ = action_link(deps)
    actions.set_status(
        deps,
        audit=reference,
        actor=email("lead.police"),
        number=1,
        status="evidence_submitted",
        evidence=EVIDENCE,
    )
    return reference


def _status(deps: Deps, reference: str) -> tuple[str, str | None]:
    plan = actions.list_actions(deps, audit=reference, as_person=email("coordinator"))
    return next((a.status, a.review_note) for a in plan if a.number == 1)


def _review(client: TestClient, reference: str, **form: str) -> object:
    csrf = csrf_of(client.get(f"/audits/{reference}").text)
    return client.post(
        f"/audits/{reference}/actions/1/review",
        data={"csrf_token": csrf, **form},
        follow_redirects=False,
    )


def test_a_member_reads_the_evidence_and_accepts_it(people: Deps, client: TestClient) -> None:
    reference = _submitted(people)
    sign_in(client, email("chair"))  # a learning hub member
    page = client.get(f"/audits/{reference}").text
    assert EVIDENCE in page and "Your review of action 1" in page
    done = _review(client, reference, decision="accept")
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert done.headers["location"] == f"/audits/{reference}?reviewed=1#actions"  # type: ignore[attr-defined]
    assert _status(people, reference) == ("accepted", None)
    after = client.get(f"/audits/{reference}").text
    assert "Your review of action 1" not in after and "accepted by" in after


def test_sending_back_needs_a_reason_and_tells_the_agency(people: Deps, client: TestClient) -> None:
    reference = _submitted(people)
    sign_in(client, email("coordinator"))
    missing = _review(client, reference, decision="send_back", reason=" ")
    assert missing.status_code == 400  # type: ignore[attr-defined]
    assert "Say why the evidence does not yet show" in missing.text  # type: ignore[attr-defined]
    assert _status(people, reference)[0] == "evidence_submitted"
    undecided = _review(client, reference, reason="Anything")
    assert "Choose whether to accept" in undecided.text  # type: ignore[attr-defined]
    sent = _review(client, reference, decision="send_back", reason="Show the re-audit's sample.")
    assert sent.status_code == 303  # type: ignore[attr-defined]
    assert _status(people, reference) == ("in_progress", "Show the re-audit's sample.")
    with people.uow(readonly=True) as uow:
        told = uow.connection.execute(
            select(t.outbox.c.link_purpose, t.outbox.c.context).where(
                t.outbox.c.kind == "action_returned"
            )
        ).all()
    assert len(told) == 2 and {purpose for purpose, _ in told} == {"action"}
    assert all("re-audit" not in json.dumps(json.loads(c)).lower() for _, c in told)


def test_a_review_that_cannot_be_done_is_refused_beside_its_form(
    people: Deps, client: TestClient
) -> None:
    reference = _submitted(people)
    sign_in(client, email("chair"))  # a learning hub member
    csrf = csrf_of(client.get(f"/audits/{reference}").text)
    actions.accept_evidence(people, audit=reference, actor=email("coordinator"), number=1)
    late = client.post(
        f"/audits/{reference}/actions/1/review", data={"csrf_token": csrf, "decision": "accept"}
    )
    assert late.status_code == 400 and "is accepted, so it cannot become accepted" in late.text
    odd = client.post(
        f"/audits/{reference}/actions/x1/review", data={"csrf_token": csrf, "decision": "accept"}
    )
    assert odd.status_code == 404


def test_a_review_needs_a_session_and_the_form_token(people: Deps, client: TestClient) -> None:
    reference = _submitted(people)
    sign_in(client, email("chair"))  # a learning hub member
    forged = client.post(
        f"/audits/{reference}/actions/1/review",
        data={"csrf_token": "forged", "decision": "accept"},
    )
    assert forged.status_code == 403
    csrf = csrf_of(client.get(f"/audits/{reference}").text)
    client.post("/signout", data={"csrf_token": csrf})
    anonymous = client.post(
        f"/audits/{reference}/actions/1/review",
        data={"csrf_token": csrf, "decision": "accept"},
        follow_redirects=False,
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/signin"
    assert _status(people, reference)[0] == "evidence_submitted"


def test_an_agency_link_cannot_review(people: Deps, client: TestClient) -> None:
    reference, token = action_link(people)
    csrf = csrf_of(client.get(f"/act/{token}").text)  # the agency's own page and form token
    refused = client.post(
        f"/audits/{reference}/actions/1/review",
        data={"csrf_token": csrf, "decision": "accept"},
        follow_redirects=False,
    )
    assert refused.status_code in (303, 403)
    assert _status(people, reference)[0] == "open"
