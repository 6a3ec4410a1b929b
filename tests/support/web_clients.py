"""Web clients for tests outside ``tests/oscp_flow/web``: the app over whichever store the
``deps`` fixture gives (SQLite and PostgreSQL), each client arriving from its own network
address, as people behind different connections do."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any, cast

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from oscp_flow.settings import Settings
from oscp_flow.web import WebConfig, create_app
from states.services.deps import Deps

BASE = "https://oscp.example.org"


class Clients:
    """Makes clients on fresh apps and closes them all at the end of the ``with`` block.
    Keyword arguments go to ``WebConfig``; the rate limit is off unless asked for, so what a
    test sees is the rule it is about."""

    def __init__(self, deps: Deps, home: Path) -> None:
        self.deps = deps
        self.settings = Settings(base_url=BASE, home=home)
        self._made: list[TestClient] = []

    def __call__(self, address: str = "192.0.2.10", **config: Any) -> TestClient:
        options = {
            "csrf_secret": SecretStr("a-test-secret-not-for-production"),
            "session_secret": SecretStr("a-test-session-secret-not-for-production"),
            "rate_limit_enabled": False,
            **config,
        }
        app = create_app(self.deps, self.settings, WebConfig(**options))
        client = TestClient(app, base_url=BASE, client=(address, 50000)).__enter__()
        self._made.append(client)
        return client

    def __enter__(self) -> Clients:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for client in self._made:
            client.__exit__(None, None, None)


def app_of(client: TestClient) -> FastAPI:
    return cast(FastAPI, client.app)
