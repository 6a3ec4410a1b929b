"""Headers on every response (error pages included), no other site named in any page, the
rate limit's friendly page, and the health check."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from oscp_flow.web import views
from oscp_flow.web.pages import SitePaths
from oscp_flow.web.security import CONTENT_SECURITY_POLICY
from states.clock import FakeClock
from states.persistence.vocabulary import LinkPurpose
from states.services.deps import Deps
from tests.oscp_flow.web.conftest import MakeClient
from tests.oscp_flow.web.support import (
    BASE,
    assurance_link,
    csrf_of,
    return_link,
    sign_off_links,
    used_at,
)

REQUIRED = {
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
}
_ADDRESS = re.compile(r"""(?:href|src|action)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def _check(response: Response) -> None:
    for name, value in REQUIRED.items():
        assert response.headers.get(name) == value, (response.request.url.path, name)
    for directive in ("default-src 'none'", "style-src 'self'", "form-action 'self'"):
        assert directive in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    is_html = response.headers.get("content-type", "").startswith("text/html")
    if is_html and response.request.method != "HEAD":
        _no_other_sites(response.text)


def _no_other_sites(page: str) -> None:
    # An inline chart's XML namespace is a name, never fetched: not another site.
    page = re.sub(r'\sxmlns(:\w+)?="[^"]*"', "", page)
    for url in re.findall(r"https?://[^\s\"'<>]+", page):
        assert url.startswith(BASE), url
    for address in _ADDRESS.findall(page):
        assert address.startswith(("/", "#")) and not address.startswith("//"), address
    assert '<html lang="en-GB">' in page
    assert 'name="viewport"' in page


def test_every_response_carries_the_headers(
    partnership: Deps, client: TestClient, clock: FakeClock
) -> None:
    _, minted = sign_off_links(partnership)
    _, returning = return_link(partnership, "section_11")
    _, assuring = assurance_link(partnership)
    lhm = minted["lhm"]
    form = {"csrf_token": csrf_of(client.get(f"/act/{lhm}").text), "purpose": "sign_off"}
    responses = [
        client.get(f"/act/{lhm}"),
        client.head(f"/act/{lhm}"),
        client.get(f"/act/{returning}"),
        client.get(f"/act/{assuring}"),
        client.post(f"/act/{lhm}", data={"purpose": "sign_off"}),  # 403, no form token
        client.post(f"/act/{lhm}", data={**form, "decision": "refuse"}),  # 400, no comment
        client.get("/act/" + "A" * 43),  # 404
        client.post(f"/act/{lhm}", data={**form, "decision": "approve"}),  # 200
        client.post(f"/act/{lhm}", data={**form, "decision": "approve"}),  # 409
        client.get("/healthz"),
        client.get("/static/site.css"),
        client.get("/no/such/page"),
        client.put(f"/act/{lhm}"),  # 405
    ]
    clock.advance(timedelta(days=60))
    responses.append(client.get(f"/act/{minted['lsp.police']}"))  # 410
    statuses = [r.status_code for r in responses]
    assert statuses == [200, 200, 200, 200, 403, 400, 404, 200, 409, 200, 200, 404, 405, 410]
    for response in responses:
        _check(response)


def test_the_rate_limit_has_a_friendly_page(partnership: Deps, make_client: MakeClient) -> None:
    _, minted = sign_off_links(partnership)
    client = make_client()  # the default: 30 a minute for each address
    answers = [client.get(f"/act/{minted['lhm'] if n % 2 else 'x' * (n + 1)}") for n in range(30)]
    assert {r.status_code for r in answers} == {200, 404}
    limited = client.get(f"/act/{minted['lhm']}")
    assert limited.status_code == 429
    assert "Wait a minute" in limited.text
    _check(limited)
    # A forged link counts against the same budget as a real one.
    assert client.post(f"/act/{'y' * 43}", data={}).status_code == 429
    assert client.get("/healthz").status_code == 200


def test_an_unexpected_failure_is_a_plain_page_with_the_headers(
    partnership: Deps, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, minted = sign_off_links(partnership)

    def broken(*_: object) -> None:
        raise RuntimeError(f"failed on {minted['lhm']}")

    monkeypatch.setitem(views.SHOW, LinkPurpose.SIGN_OFF, broken)
    client = make_client(raise_server_exceptions=False, rate_limit_enabled=False)
    response = client.get(f"/act/{minted['lhm']}")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert minted["lhm"] not in response.text
    _check(response)


def test_health_check(client: TestClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")
    _check(response)


def test_the_stylesheet_is_served_and_focus_is_visible(client: TestClient) -> None:
    css = client.get("/static/site.css")
    assert css.headers["content-type"].startswith("text/css")
    assert ":focus" in css.text and "outline" in css.text
    assert "http" not in css.text and "@import" not in css.text


def test_pages_never_trust_the_host_header(partnership: Deps, client: TestClient) -> None:
    _, minted = sign_off_links(partnership)
    page = client.get(f"/act/{minted['lhm']}", headers={"Host": "evil.example"})
    assert page.status_code == 200
    assert "evil.example" not in page.text
    assert "domain=" not in page.headers["set-cookie"].lower()
    assert f'action="/act/{minted["lhm"]}"' in page.text


def test_addresses_follow_the_base_urls_path() -> None:
    paths = SitePaths.from_base_url("https://oscp.example.org/audits/")
    assert paths.act("abc") == "/audits/act/abc"
    assert paths.stylesheet == "/audits/static/site.css"
    assert SitePaths.from_base_url(BASE).act("abc") == "/act/abc"


def test_oversized_and_unmeasured_posts_are_refused_unread(
    partnership: Deps, make_client: MakeClient
) -> None:
    _, minted = sign_off_links(partnership)
    token = minted["lhm"]
    client = make_client(rate_limit_enabled=False, max_form_bytes=1_000)
    form = {"csrf_token": csrf_of(client.get(f"/act/{token}").text), "purpose": "sign_off"}
    big = client.post(f"/act/{token}", data={**form, "decision": "refuse", "comment": "x" * 2_000})
    assert big.status_code == 413
    _check(big)

    def chunks() -> Iterator[bytes]:
        yield b"purpose=sign_off&decision=approve"

    unmeasured = client.post(
        f"/act/{token}",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert unmeasured.status_code == 411
    assert used_at(partnership, token) is None


def test_the_form_cookie_is_scoped_to_its_link(partnership: Deps, client: TestClient) -> None:
    _, minted = sign_off_links(partnership)
    cookie = client.get(f"/act/{minted['lhm']}").headers["set-cookie"].lower()
    for attribute in ("httponly", "secure", "samesite=lax", f"path=/act/{minted['lhm'].lower()}"):
        assert attribute in cookie
