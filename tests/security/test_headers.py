"""Finding 10 (HSTS): a site served over https tells browsers never to use http for it again,
on every response, error pages included; a site on http (a developer's machine) never does,
or the browser would refuse that host's plain pages for a year.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from oscp_flow.settings import Settings
from oscp_flow.web import WebConfig, create_app
from states.services.deps import Deps

HSTS = "max-age=31536000; includeSubDomains"
# A page, a refused link, an unknown page, a wrong method, a rate-limited request, and the
# last-resort page of a bug (answered outside the headers middleware).
REQUESTS = (
    ("GET", "/healthz"),
    ("GET", "/act/not-a-real-link"),
    ("GET", "/no-such-page"),
    ("DELETE", "/healthz"),
    ("GET", "/act/not-a-real-link"),
    ("GET", "/a-bug"),
)


def a_bug() -> None:
    raise RuntimeError("a bug")


@pytest.fixture
def serve(deps: Deps, tmp_path: Path) -> Iterator[dict[str, TestClient]]:
    made: dict[str, TestClient] = {}
    for base in ("https://oscp.example.org", "http://127.0.0.1:8000"):
        settings = Settings(base_url=base, home=tmp_path)
        config = WebConfig(csrf_secret=SecretStr("a-test-secret"), rate_limit="1/minute")
        app = create_app(deps, settings, config)
        app.add_api_route("/a-bug", a_bug)
        client = TestClient(app, base_url=base, raise_server_exceptions=False)
        made[base] = client.__enter__()
    yield made
    for client in made.values():
        client.__exit__(None, None, None)


def statuses_and_hsts(client: TestClient) -> list[tuple[int, str | None]]:
    return [
        (response.status_code, response.headers.get("Strict-Transport-Security"))
        for response in (client.request(method, path) for method, path in REQUESTS)
    ]


def test_every_response_of_an_https_site_carries_hsts(serve: dict[str, TestClient]) -> None:
    assert statuses_and_hsts(serve["https://oscp.example.org"]) == [
        (200, HSTS),
        (404, HSTS),
        (404, HSTS),
        (405, HSTS),
        (429, HSTS),
        (500, HSTS),
    ]


def test_an_http_site_never_sends_hsts(serve: dict[str, TestClient]) -> None:
    assert statuses_and_hsts(serve["http://127.0.0.1:8000"]) == [
        (200, None),
        (404, None),
        (404, None),
        (405, None),
        (429, None),
        (500, None),
    ]
