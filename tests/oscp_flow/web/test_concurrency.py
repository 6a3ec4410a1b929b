"""A thousand decisions posted at once on one gate, through the app: one sign-off, on both
stores (here the store's locking decides the outcome)."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from states.services.deps import Deps
from tests.oscp_flow.web.support import MEMBERS, csrf_of, history, sign_off_links


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    chosen: Engine = request.getfixturevalue(f"{request.param}_engine")
    return chosen


@pytest.mark.slow
def test_a_thousand_posts_at_once_make_one_sign_off(partnership: Deps, client: TestClient) -> None:
    reference, minted = sign_off_links(partnership)
    # Each member's page opened once, as a person would: one form token per link.
    forms = {
        token: {
            "csrf_token": csrf_of(client.get(f"/act/{token}").text),
            "purpose": "sign_off",
            "decision": "approve",
        }
        for token in minted.values()
    }
    attempts = [minted[m] for m in MEMBERS] * 250
    barrier = threading.Barrier(50)

    def post(token: str) -> int:
        with contextlib.suppress(threading.BrokenBarrierError):  # start in waves of fifty
            barrier.wait(timeout=30)
        return client.post(f"/act/{token}", data=forms[token]).status_code

    with ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(post, attempts))
    signed = [trigger for trigger, _ in history(partnership, reference) if trigger == "sign_off"]
    assert len(signed) == 1
    assert 2 <= statuses.count(200) <= len(MEMBERS)
    assert set(statuses) <= {200, 409, 410}, sorted(set(statuses))
