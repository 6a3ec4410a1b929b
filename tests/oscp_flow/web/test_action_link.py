"""Action links: the owner agency's lead sees their own action (never another agency's),
says it is under way, and sends the evidence once; what anyone typed comes back as text."""

from __future__ import annotations

from fastapi.testclient import TestClient

from states.services import actions
from states.services.deps import Deps
from tests.oscp_flow.web.support import (
    PAYLOADS,
    action_link,
    action_token,
    csrf_of,
    token_events,
    used_at,
)
from tests.support.partnership import agency_name, email


def _status(deps: Deps, reference: str, number: int = 1) -> str:
    plan = actions.list_actions(deps, audit=reference, as_person=email("coordinator"))
    return next(a.status for a in plan if a.number == number)


def test_the_page_shows_the_agencys_own_action_only(partnership: Deps, client: TestClient) -> None:
    reference, token = action_link(partnership)
    page = client.get(f"/act/{token}")
    assert page.status_code == 200
    assert reference in page.text and f"Action 1 for {agency_name('police')}" in page.text
    assert "Review the police referral pathway" in page.text
    assert "csc referral pathway" not in page.text  # social care's action is not theirs
    assert "The action is under way" in page.text and '<label for="evidence">' in page.text


def test_under_way_then_evidence_then_the_link_is_used_up(
    partnership: Deps, client: TestClient
) -> None:
    reference, token = action_link(partnership)
    csrf = csrf_of(client.get(f"/act/{token}").text)
    form = {"csrf_token": csrf, "purpose": "action"}
    started = client.post(f"/act/{token}", data={**form, "step": "start", "under_way": "yes"})
    assert started.status_code == 200 and "is under way" in started.text
    assert _status(partnership, reference) == "in_progress" and used_at(partnership, token) is None
    again = client.get(f"/act/{token}").text
    assert "The action is under way" not in again and "in progress" in again

    empty = client.post(f"/act/{token}", data={**form, "step": "evidence", "evidence": " "})
    assert empty.status_code == 400 and 'id="evidence-error"' in empty.text
    assert _status(partnership, reference) == "in_progress"
    sent = client.post(f"/act/{token}", data={**form, "step": "evidence", "evidence": "Re-audit."})
    assert sent.status_code == 200 and "this link is used up" in sent.text
    assert _status(partnership, reference) == "evidence_submitted"
    assert used_at(partnership, token) is not None
    replay = client.post(f"/act/{token}", data={**form, "step": "evidence", "evidence": "More."})
    assert replay.status_code == 409 and token_events(partnership, "replayed") == 1


def test_a_reviewers_reason_is_shown_when_evidence_comes_back(
    partnership: Deps, client: TestClient
) -> None:
    reference, token = action_link(partnership)
    form = {"csrf_token": csrf_of(client.get(f"/act/{token}").text), "purpose": "action"}
    client.post(f"/act/{token}", data={**form, "step": "evidence", "evidence": "A new policy."})
    assert client.get(f"/act/{token}").status_code == 409  # used up
    actions.refuse_evidence(
        partnership, audit=reference, actor=email("lhm"), number=1, reason="Show it in use."
    )
    fresh = client.get(f"/act/{action_token(partnership, reference, 'lead.police')}")
    assert fresh.status_code == 200 and "sent your last evidence back" in fresh.text
    assert "Show it in use." in fresh.text and "in progress" in fresh.text


def test_typed_injection_comes_back_as_text(partnership: Deps, client: TestClient) -> None:
    _, token = action_link(partnership, recommendation=" ".join(PAYLOADS))
    page = client.get(f"/act/{token}").text
    assert "<script>" not in page and "<img" not in page
    assert "{{7*7}}" in page and "&lt;script&gt;" in page
    form = {"csrf_token": csrf_of(page), "purpose": "action", "step": "evidence"}
    typed = " ".join(PAYLOADS) + " x" * 3_000  # too long: shown again with what was typed
    again = client.post(f"/act/{token}", data={**form, "evidence": typed})
    assert again.status_code == 400 and "&lt;script&gt;" in again.text and "<img" not in again.text


def test_other_purposes_and_unknown_steps_are_refused(
    partnership: Deps, client: TestClient
) -> None:
    reference, token = action_link(partnership)
    form = {"csrf_token": csrf_of(client.get(f"/act/{token}").text)}
    for purpose in ("sign_off", "return", "assurance", ""):
        refused = client.post(f"/act/{token}", data={**form, "purpose": purpose})
        assert refused.status_code == 404
    odd = client.post(f"/act/{token}", data={**form, "purpose": "action", "step": "accept"})
    assert odd.status_code == 400 and "under way or you are sending evidence" in odd.text
    assert _status(partnership, reference) == "open" and used_at(partnership, token) is None
