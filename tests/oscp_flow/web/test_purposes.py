"""A link does one thing: a sign-off link posted as a return, or a return link posted as a
sign-off, is not recognised (404), and the misuse is recorded against the link."""

from __future__ import annotations

from fastapi.testclient import TestClient

from states.services.deps import Deps
from tests.oscp_flow.web.support import (
    complete_form,
    csrf_of,
    return_link,
    sign_off_links,
    token_events,
    used_at,
)


def test_a_sign_off_link_cannot_make_a_return(partnership: Deps, client: TestClient) -> None:
    _, minted = sign_off_links(partnership)
    token = minted["lhm"]
    form = {"csrf_token": csrf_of(client.get(f"/act/{token}").text), "purpose": "return"}
    refused = client.post(f"/act/{token}", data={**form, **complete_form(partnership, "mace")})
    assert refused.status_code == 404
    assert "not recognised" in refused.text
    assert used_at(partnership, token) is None
    assert token_events(partnership, "unknown") == 1


def test_a_return_link_cannot_sign_off(partnership: Deps, client: TestClient) -> None:
    _, token = return_link(partnership, "section_11")
    form = {"csrf_token": csrf_of(client.get(f"/act/{token}").text), "purpose": "sign_off"}
    refused = client.post(f"/act/{token}", data={**form, "decision": "approve"})
    assert refused.status_code == 404
    assert used_at(partnership, token) is None
    assert token_events(partnership, "unknown") == 1
