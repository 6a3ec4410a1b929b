"""Finding 8: behind a reverse proxy each client keeps its own rate-limit bucket, and nobody
else can choose theirs.

``X-Forwarded-For`` is believed only from the addresses in ``OSCP_WEB_TRUSTED_PROXIES``
(none by default); from anyone else it is ignored and the peer's own address counts. The
addresses are documentation ranges (RFC 5737) given to the test client: no traffic leaves it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oscp_flow.cli import web as cli_web
from oscp_flow.settings import SettingsInvalid, load
from oscp_flow.web import WebConfig
from states.services.deps import Deps
from tests.support.web_clients import Clients

PROXY = "10.0.0.1"
ALICE, BOB = "203.0.113.5", "203.0.113.6"
LIMITED = "/act/not-a-real-link"  # every /act/ request counts, known link or not


def opened(client: TestClient, forwarded_for: str | None = None) -> int:
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    return client.get(LIMITED, headers=headers).status_code


@pytest.fixture
def clients(deps: Deps, tmp_path: Path) -> Any:
    with Clients(deps, tmp_path) as made:
        yield made


def test_clients_behind_a_trusted_proxy_each_have_their_own_bucket(clients: Clients) -> None:
    via_proxy = clients(
        PROXY, rate_limit_enabled=True, rate_limit="2/minute", trusted_proxies=PROXY
    )
    assert [opened(via_proxy, ALICE) for _ in range(3)] == [404, 404, 429]
    # Bob, arriving through the same proxy, is not held back by Alice's requests.
    assert opened(via_proxy, BOB) == 404


def test_the_header_from_an_address_that_is_not_a_proxy_is_ignored(clients: Clients) -> None:
    direct = clients("198.51.100.7", rate_limit_enabled=True, rate_limit="2/minute")
    trusting = clients(
        "198.51.100.8", rate_limit_enabled=True, rate_limit="2/minute", trusted_proxies=PROXY
    )
    for client in (direct, trusting):
        # A fresh made-up address on every request would otherwise be a fresh budget each time.
        assert [opened(client, f"203.0.113.{n}") for n in range(3)] == [404, 404, 429]


def test_by_default_no_address_is_trusted_not_even_loopback(clients: Clients) -> None:
    local = clients("127.0.0.1", rate_limit_enabled=True, rate_limit="2/minute")
    assert [opened(local, f"203.0.113.{n}") for n in range(3)] == [404, 404, 429]


def test_proxies_are_addresses_or_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSCP_WEB_TRUSTED_PROXIES", "10.0.0.1, 10.1.0.0/16,::1")
    assert load(WebConfig).trusted_proxies == ("10.0.0.1", "10.1.0.0/16", "::1")
    for wrong in ("*", "proxy.example.org", "10.0.0.300"):
        monkeypatch.setenv("OSCP_WEB_TRUSTED_PROXIES", wrong)
        with pytest.raises(SettingsInvalid, match="OSCP_WEB_TRUSTED_PROXIES"):
            load(WebConfig)


def test_oscp_web_leaves_forwarded_headers_to_the_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """uvicorn on its own believes X-Forwarded-For from 127.0.0.1 (``--forwarded-allow-ips``):
    `oscp web` turns that off so the setting above is the only trust there is."""
    given: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **options: given.update(options))
    monkeypatch.setenv("OSCP_HOME", str(tmp_path))
    monkeypatch.delenv("OSCP_DATABASE_URL", raising=False)
    cli_web.web(host="127.0.0.1", port=8000)
    assert given["proxy_headers"] is False
