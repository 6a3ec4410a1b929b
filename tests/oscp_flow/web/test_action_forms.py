"""The audit page's action forms. The chair or coordinator adds an action once the report is
signed off (its agency is e-mailed). The learning hub reads an action's evidence and accepts
it or sends it back with a reason (the agency is e-mailed a new link and reads the reason
there). Each form needs a session and the page's form token, and a refused one comes back
beside its fields with what was typed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select

from oscp_flow.rehearsal.demo import email, give_demo_passwords
from oscp_flow.rehearsal.walkthrough import rehearse
from states.persistence import tables as t
from states.services import actions
from states.services.deps import Deps
from tests.oscp_flow.web.support import action_link, csrf_of
from tests.support.web import PASSWORD, sign_in

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


def _review(client: TestClient, reference: str, **form: str) -> Response:
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
    assert done.status_code == 303
    assert done.headers["location"] == f"/audits/{reference}?accepted=1#actions"
    assert _status(people, reference) == ("accepted", None)
    after = client.get(f"/audits/{reference}?accepted=1").text
    assert "Your review of action 1" not in after and "accepted by" in after
    assert "The evidence for action 1 is accepted; the action is finished." in after


def test_sending_back_needs_a_reason_and_tells_the_agency(people: Deps, client: TestClient) -> None:
    reference = _submitted(people)
    sign_in(client, email("coordinator"))
    missing = _review(client, reference, decision="send_back", reason=" ")
    assert missing.status_code == 400
    assert "Say why the evidence does not yet show" in missing.text
    assert _status(people, reference)[0] == "evidence_submitted"
    undecided = _review(client, reference, reason="Anything")
    assert "Choose whether to accept" in undecided.text
    sent = _review(client, reference, decision="send_back", reason="Show the re-audit's sample.")
    assert sent.status_code == 303
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
    again = csrf_of(late.text)  # the page shown again carries a fresh form token
    odd = client.post(
        f"/audits/{reference}/actions/x1/review", data={"csrf_token": again, "decision": "accept"}
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


def _add(client: TestClient, reference: str, **form: str) -> Response:
    csrf = csrf_of(client.get(f"/audits/{reference}").text)
    return client.post(
        f"/audits/{reference}/actions/new",
        data={"csrf_token": csrf, **form},
        follow_redirects=False,
    )


def test_the_chair_adds_an_action_and_its_agency_is_emailed(
    people: Deps, client: TestClient
) -> None:
    reference = rehearse(people, "mace", goal="actions_agreed").reference
    sign_in(client, email("chair"))
    assert "Add an action" in client.get(f"/audits/{reference}").text
    due = (people.clock.now() + timedelta(days=60)).date().isoformat()
    added = _add(client, reference, recommendation="Re-audit chronologies.", owner="csc", due=due)
    assert added.status_code == 303
    assert added.headers["location"] == f"/audits/{reference}?added=1#actions"
    page = client.get(f"/audits/{reference}?added=1").text
    assert "Action 1 is added" in page and "Re-audit chronologies." in page
    with people.uow(readonly=True) as uow:
        told = uow.connection.execute(
            select(t.person.c.email)
            .join(t.outbox, t.outbox.c.recipient_id == t.person.c.id)
            .where(t.outbox.c.kind == "action_assigned", t.outbox.c.link_purpose == "action")
        ).scalars()
        recipients = set(told)
    assert email("lead.csc") in recipients and email("lead.police") not in recipients
    assert [
        a.owner for a in actions.list_actions(people, audit=reference, as_person=email("chair"))
    ] == ["csc"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"recommendation": "Re-audit.", "owner": "csc", "due": "next week"}, "as a date"),
        ({"recommendation": "Re-audit.", "owner": "", "due": "2027-03-31"}, "Choose the agency"),
        ({"recommendation": " ", "owner": "csc", "due": "2027-03-31"}, "recommendation in 1 to"),
        ({"recommendation": "Re-audit.", "owner": "csc", "due": "2020-01-01"}, "today or later"),
    ],
)
def test_a_refused_action_keeps_what_was_typed(
    people: Deps, client: TestClient, form: dict[str, str], message: str
) -> None:
    reference = rehearse(people, "mace", goal="actions_agreed").reference
    sign_in(client, email("coordinator"))
    refused = _add(client, reference, **form)
    assert refused.status_code == 400 and message in refused.text
    if form["recommendation"].strip():
        assert form["recommendation"] in refused.text
    assert actions.list_actions(people, audit=reference, as_person=email("chair")) == []


def test_no_actions_before_sign_off(people: Deps, client: TestClient) -> None:
    reference = rehearse(people, "mace", goal="awaiting_sign_off").reference
    sign_in(client, email("coordinator"))
    assert "Add an action" not in client.get(f"/audits/{reference}").text
    # No form was shown, so no form token was given for it: a post is refused as forged.
    refused = _add(client, reference, recommendation="Early.", owner="csc", due="2027-03-31")
    assert refused.status_code == 403
    assert actions.list_actions(people, audit=reference, as_person=email("chair")) == []
