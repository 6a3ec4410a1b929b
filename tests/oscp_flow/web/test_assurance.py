"""Assurance links: the strategic lead reads the concern behind their own link (each read
kept: who, when, which concern) and records the assurance by POST on the same page; the page
after it does not repeat the concern."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from states.persistence import tables as t
from states.services.deps import Deps
from tests.oscp_flow.web.support import PAYLOADS, assurance_link, csrf_of, used_at
from tests.support.partnership import agency_name


def _assured(deps: Deps) -> list[tuple[object, object]]:
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(select(t.escalation.c.assured_at, t.escalation.c.assurance))
        return [tuple(row) for row in rows]


def _reads(deps: Deps) -> list[tuple[object, ...]]:
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.concern_read.c.escalation_id, t.person.c.email, t.concern_read.c.via)
            .join(t.person, t.person.c.id == t.concern_read.c.person_id)
            .order_by(t.concern_read.c.id)
        )
        return [tuple(row) for row in rows]


def test_the_page_shows_the_concern_behind_the_link_and_keeps_each_read(
    partnership: Deps, client: TestClient
) -> None:
    reference, token = assurance_link(partnership)
    assert _reads(partnership) == []
    page = client.get(f"/act/{token}")
    assert page.status_code == 200
    assert reference in page.text
    assert agency_name("police") in page.text
    assert "Monday 2 March 2026" in page.text
    assert "SECRET-CONCERN-TEXT strategy discussion did not happen" in page.text
    assert '<label for="assurance">' in page.text
    client.get(f"/act/{token}")
    ((_, who, via),) = {*_reads(partnership)}
    assert (who, via) == ("lsp.police@example.org", "link")
    assert len(_reads(partnership)) == 2, "every read is kept, not only the first"


def test_an_empty_assurance_is_refused_then_one_is_recorded(
    partnership: Deps, client: TestClient
) -> None:
    _, token = assurance_link(partnership)
    form = {"csrf_token": csrf_of(client.get(f"/act/{token}").text), "purpose": "assurance"}
    empty = client.post(f"/act/{token}", data={**form, "assurance": "  "})
    assert empty.status_code == 400 and 'id="assurance-error"' in empty.text
    assert _assured(partnership) == [(None, None)]
    done = client.post(f"/act/{token}", data={**form, "assurance": "Strategy meeting held"})
    assert done.status_code == 200 and "Your assurance is recorded" in done.text
    assert "SECRET-CONCERN-TEXT" not in done.text
    ((assured_at, text),) = _assured(partnership)
    assert assured_at is not None and text == "Strategy meeting held"
    assert used_at(partnership, token) is not None
    assert client.post(f"/act/{token}", data={**form, "assurance": "Again"}).status_code == 409


def test_typed_injection_comes_back_as_text(partnership: Deps, client: TestClient) -> None:
    _, token = assurance_link(partnership)
    form = {"csrf_token": csrf_of(client.get(f"/act/{token}").text), "purpose": "assurance"}
    # Too long, so the page is shown again with what was typed.
    typed = " ".join(PAYLOADS) + " x" * 6_000
    page = client.post(f"/act/{token}", data={**form, "assurance": typed}).text
    assert "<script>" not in page and "<img" not in page
    assert "{{7*7}}" in page and "&lt;script&gt;" in page and "{% raw %}" in page


def test_a_sign_off_form_posted_to_an_assurance_link_is_not_recognised(
    partnership: Deps, client: TestClient
) -> None:
    _, token = assurance_link(partnership)
    form = {"csrf_token": csrf_of(client.get(f"/act/{token}").text)}
    for purpose in ("sign_off", "return", "", "anything"):
        refused = client.post(f"/act/{token}", data={**form, "purpose": purpose})
        assert refused.status_code == 404
    assert used_at(partnership, token) is None
