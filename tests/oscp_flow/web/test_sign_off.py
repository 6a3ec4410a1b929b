"""Sign-off by e-mailed link: scanners change nothing, members decide by POST with a form
token, a replay is refused and recorded, and a refusal needs a comment."""

from __future__ import annotations

from datetime import timedelta
from itertools import cycle

from fastapi.testclient import TestClient

from states.clock import FakeClock
from states.services.deps import Deps
from tests.oscp_flow.web.support import (
    csrf_of,
    history,
    sign_off_links,
    state,
    token_events,
    used_at,
)
from tests.support.partnership import person_name

SCANNERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Microsoft Outlook SafeLinks",
    "Mimecast URL Protect/1.0",
    "Proofpoint URL Defense",
    "Mozilla/5.0 (compatible; Barracuda Sentinel)",
    "Mozilla/5.0 (compatible; BingPreview/1.0b)",
    "Microsoft Office Existence Discovery",
)


def _decide(client: TestClient, token: str, **fields: str) -> tuple[int, str]:
    page = client.get(f"/act/{token}")
    assert page.status_code == 200
    response = client.post(
        f"/act/{token}", data={"csrf_token": csrf_of(page.text), "purpose": "sign_off", **fields}
    )
    return response.status_code, response.text


def test_mail_scanners_opening_a_link_change_nothing(partnership: Deps, client: TestClient) -> None:
    reference, minted = sign_off_links(partnership)
    token = minted["lhm"]
    before = history(partnership, reference)
    agents = cycle(SCANNERS)
    for _ in range(100):
        assert client.get(f"/act/{token}", headers={"User-Agent": next(agents)}).status_code == 200
        assert client.head(f"/act/{token}", headers={"User-Agent": next(agents)}).status_code == 200
    assert history(partnership, reference) == before
    assert used_at(partnership, token) is None
    assert token_events(partnership) == 0


def test_the_page_says_what_approving_means(partnership: Deps, client: TestClient) -> None:
    reference, minted = sign_off_links(partnership)
    page = client.get(f"/act/{minted['lhm']}").text
    for shown in (
        reference,
        "Rehearsal",
        "Awaiting sign-off",
        "What approving means",
        person_name("lhm"),
    ):
        assert shown in page
    assert 'name="decision" value="approve"' in page
    assert 'name="decision" value="refuse"' in page
    assert '<label for="comment">' in page


def test_two_members_sign_off_the_audit(partnership: Deps, client: TestClient) -> None:
    reference, minted = sign_off_links(partnership)
    status, text = _decide(client, minted["lhm"], decision="approve")
    assert status == 200 and "Your approval is recorded" in text
    assert state(partnership, reference) == "awaiting_sign_off"
    status, text = _decide(client, minted["lsp.police"], decision="approve")
    assert status == 200 and "the audit is signed off" in text
    assert history(partnership, reference)[-1] == ("sign_off", "actions_agreed")
    assert used_at(partnership, minted["lhm"]) is not None


def test_a_replayed_decision_is_refused_and_recorded(partnership: Deps, client: TestClient) -> None:
    reference, minted = sign_off_links(partnership)
    token = minted["lhm"]
    form = {
        "csrf_token": csrf_of(client.get(f"/act/{token}").text),
        "purpose": "sign_off",
        "decision": "approve",
    }
    assert client.post(f"/act/{token}", data=form).status_code == 200
    replay = client.post(f"/act/{token}", data=form)
    assert replay.status_code == 409
    assert "Contact the audit's coordinator" in replay.text
    assert token_events(partnership, "replayed") == 1
    assert [t for t, _ in history(partnership, reference)].count("record_approve") == 1


def test_a_refusal_needs_a_comment_and_then_asks_for_further_assurance(
    partnership: Deps, client: TestClient
) -> None:
    reference, minted = sign_off_links(partnership)
    token = minted["lsp.health"]
    status, text = _decide(client, token, decision="refuse", comment="   ")
    assert status == 400
    assert 'id="comment-error"' in text and 'href="#comment"' in text
    assert "Say what further assurance you need" in text
    assert used_at(partnership, token) is None
    assert state(partnership, reference) == "awaiting_sign_off"

    status, text = _decide(client, token, decision="refuse", comment="Evidence the health response")
    assert status == 200 and "Your refusal and comment are recorded" in text
    assert history(partnership, reference)[-1] == (
        "request_further_assurance",
        "further_assurance_requested",
    )


def test_a_decision_must_be_chosen_and_what_was_typed_is_kept(
    partnership: Deps, client: TestClient
) -> None:
    _, minted = sign_off_links(partnership)
    status, text = _decide(client, minted["lhm"], decision="maybe", comment="Typed words")
    assert status == 400
    assert 'id="decision-error"' in text
    assert ">Typed words</textarea>" in text


def test_an_expired_link_is_gone(partnership: Deps, client: TestClient, clock: FakeClock) -> None:
    _, minted = sign_off_links(partnership)
    token = minted["lhm"]
    form = {"csrf_token": csrf_of(client.get(f"/act/{token}").text), "purpose": "sign_off"}
    clock.advance(timedelta(days=30))
    page = client.get(f"/act/{token}")
    assert page.status_code == 410 and "expired" in page.text
    posted = client.post(f"/act/{token}", data={**form, "decision": "approve"})
    assert posted.status_code == 410
    assert used_at(partnership, token) is None


def test_a_link_moved_on_from_is_gone(partnership: Deps, client: TestClient) -> None:
    _, minted = sign_off_links(partnership)
    _decide(client, minted["lhm"], decision="approve")
    _decide(client, minted["lsp.police"], decision="approve")
    late = client.get(f"/act/{minted['lsp.council']}")
    assert late.status_code == 410 and "no longer needed" in late.text


def test_opening_the_link_again_keeps_the_first_form_working(
    partnership: Deps, client: TestClient
) -> None:
    _, minted = sign_off_links(partnership)
    token = minted["lhm"]
    first = csrf_of(client.get(f"/act/{token}").text)
    second = client.get(f"/act/{token}")  # a second tab, or the e-mail clicked twice
    assert "set-cookie" not in second.headers
    assert csrf_of(second.text) == first
    form = {"csrf_token": first, "purpose": "sign_off", "decision": "approve"}
    assert client.post(f"/act/{token}", data=form).status_code == 200


def _altered(value: str) -> str:
    return value[:-1] + ("1" if value.endswith("0") else "0")


def test_a_post_without_the_form_token_changes_nothing(
    partnership: Deps, client: TestClient
) -> None:
    reference, minted = sign_off_links(partnership)
    token = minted["lhm"]
    before = history(partnership, reference)
    good = csrf_of(client.get(f"/act/{token}").text)
    attempts = (
        {"purpose": "sign_off", "decision": "approve"},
        {"csrf_token": "", "purpose": "sign_off", "decision": "approve"},
        {"csrf_token": _altered(good), "purpose": "sign_off", "decision": "approve"},
    )
    for data in attempts:
        refused = client.post(f"/act/{token}", data=data)
        assert refused.status_code == 403
        assert "Nothing was recorded" in refused.text
    # The right form token from a browser without the cookie (another site's form).
    client.cookies.clear()
    refused = client.post(
        f"/act/{token}", data={"csrf_token": good, "purpose": "sign_off", "decision": "approve"}
    )
    assert refused.status_code == 403
    assert history(partnership, reference) == before
    assert used_at(partnership, token) is None
