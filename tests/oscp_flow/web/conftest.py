"""Fixtures for the web app: the demo partnership behind a TestClient.

Pages run on SQLite here: the web layer is the same on either store, and every service it
calls is tested on SQLite and PostgreSQL under ``tests/states``. Where the store decides the
outcome through the web (a thousand concurrent clicks), the module asks for both again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from oscp_flow.settings import Settings
from oscp_flow.web import WebConfig, create_app
from states.services.deps import Deps
from tests.oscp_flow.web.support import BASE

MakeClient = Callable[..., TestClient]


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    return sqlite_engine


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return Settings(base_url=BASE, home=tmp_path)


@pytest.fixture
def make_client(partnership: Deps, web_settings: Settings) -> Iterator[MakeClient]:
    """A client on a fresh app; keyword arguments go to WebConfig (e.g. the rate limit)."""
    clients: list[TestClient] = []

    def make(raise_server_exceptions: bool = True, **config: Any) -> TestClient:
        settings = {"csrf_secret": SecretStr("a-test-secret-not-for-production"), **config}
        app = create_app(partnership, web_settings, WebConfig(**settings))
        client = TestClient(
            app, base_url=BASE, raise_server_exceptions=raise_server_exceptions
        ).__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    """Rate limit off: these tests send more requests a minute than a person would."""
    return make_client(rate_limit_enabled=False)
