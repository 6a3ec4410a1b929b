"""Ten thousand forged or bit-flipped links: not one is accepted, and none writes a row.

Run on SQLite only, through an in-process ASGI client: what is under test is the app's
refusal, which is the same on either database (tests/states/services/test_links.py runs the token
lookup itself on both), and Starlette's TestClient costs ~2.5 ms a request in thread hand-offs,
four times the app's own work.
"""

from __future__ import annotations

import asyncio
import secrets
import string
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from oscp_flow.rehearsal.demo import load_demo_partnership
from oscp_flow.settings import Settings
from oscp_flow.web import WebConfig, create_app
from states.clock import FakeClock
from states.persistence import tokens
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services.deps import Deps
from tests.oscp_flow.web.support import BASE, sign_off_links, token_events, used_at

ALPHABET = string.ascii_letters + string.digits + "-_"


def _candidates(real: str, count: int) -> Iterator[str]:
    chooser = secrets.SystemRandom()
    for n in range(count):
        kind = n % 4
        if kind == 0:
            yield secrets.token_urlsafe(tokens.TOKEN_BYTES)
        elif kind == 1:  # one character changed
            at = chooser.randrange(len(real))
            other = chooser.choice(ALPHABET.replace(real[at], ""))
            yield real[:at] + other + real[at + 1 :]
        elif kind == 2:  # one bit flipped in the encoded bytes, kept URL-safe
            at = chooser.randrange(len(real))
            flipped = chr(ord(real[at]) ^ 1)
            yield real[:at] + (flipped if flipped in ALPHABET else "A") + real[at + 1 :]
        else:  # the wrong length: truncated, extended, or junk
            yield (real[: chooser.randrange(1, len(real))], real + "A", "x" * (n % 100 + 1))[n % 3]


@pytest.mark.slow
def test_ten_thousand_forged_links_are_all_refused(
    sqlite_engine: Engine, catalogue: Catalogue, clock: FakeClock, tmp_path: Path
) -> None:
    deps = Deps(uow=UnitOfWorkFactory(sqlite_engine), catalogue=catalogue, clock=clock)
    load_demo_partnership(deps)
    _, minted = sign_off_links(deps)
    real = minted["lhm"]
    app = create_app(
        deps, Settings(base_url=BASE, home=tmp_path), WebConfig(rate_limit_enabled=False)
    )
    candidates = [c for c in _candidates(real, 10_000) if c != real]
    statuses, real_status = asyncio.run(_open_all(app, candidates, real))
    assert statuses == {404: len(candidates)}
    assert real_status == 200
    assert used_at(deps, real) is None
    assert token_events(deps) == 0


async def _open_all(app: FastAPI, candidates: list[str], real: str) -> tuple[dict[int, int], int]:
    statuses: dict[int, int] = {}
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url=BASE) as client:
        for candidate in candidates:
            status = (await client.get(f"/act/{candidate}")).status_code
            statuses[status] = statuses.get(status, 0) + 1
        real_status = (await client.get(f"/act/{real}")).status_code
    return statuses, real_status
