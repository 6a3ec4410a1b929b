"""Serving the real app for ``bench.pages``, timing its pages against a static page of the
same bytes from the same app, and profiling one request in-process."""

from __future__ import annotations

import asyncio
import cProfile
import math
import pstats
import re
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import uvicorn
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from oscp_flow.settings import Settings
from oscp_flow.web.app import create_app
from oscp_flow.web.config import WebConfig
from states.services.deps import Deps

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PROJECT = r"/(states|oscp_flow|notifications)/"
START_SECONDS = 20
AT_LEAST = 20  # requests a page, whatever the time: a p95 of fewer says little


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    who: str  # the e-mail address of the person who reads it


@dataclass(frozen=True)
class Timing:
    page: Page
    status: int
    size: int
    times: list[float]
    static_times: list[float]

    @property
    def ratio(self) -> float:
        return p95(self.times) / p95(self.static_times)

    def line(self) -> str:
        ms = {k: v * 1e3 for k, v in self.figures().items()}
        said = {200: "", 404: " (HTTP 404: not there yet)"}.get(
            self.status, f" (HTTP {self.status})"
        )
        return (
            f"  {self.page.name} ({self.page.path}{said}): {self.size:,} bytes, "
            f"{len(self.times)} requests; p95 page "
            f"{ms['page']:.1f} ms, static page {ms['static']:.1f} ms "
            f"(medians {ms['page median']:.1f} and {ms['static median']:.1f} ms)"
        )

    def figures(self) -> dict[str, float]:
        return {
            "page": p95(self.times),
            "static": p95(self.static_times),
            "page median": statistics.median(self.times),
            "static median": statistics.median(self.static_times),
        }


class _Server(uvicorn.Server):
    """uvicorn's server, saying when it has started."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.up = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.up.set()


@contextmanager
def serving(deps: Deps, home: Path, bodies: dict[str, bytes]) -> Iterator[tuple[str, FastAPI]]:
    """The product's app on a free loopback port, in a thread, with one route mounted on this
    instance only: ``/bench-static/NAME`` answers ``bodies[NAME]`` as a fixed HTMLResponse."""
    # Named TCP, so the sockets it accepts say so and asyncio turns Nagle's algorithm off on
    # them (it does only for IPPROTO_TCP): with the default protocol 0, every small response
    # after the first on a connection waits ~40 ms for the client's delayed ACK, page and
    # static alike (uvicorn issue 3149; ``oscp web`` gives uvicorn a host and port instead).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(deps, Settings(home=home, base_url=base), WebConfig(rate_limit_enabled=False))

    async def static(name: str) -> Response:
        return HTMLResponse(bodies[name])

    app.add_api_route("/bench-static/{name}", static, methods=["GET"])
    server = _Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    with sock:
        thread.start()
        try:
            assert server.up.wait(START_SECONDS), "the web app did not start"
            yield base, app
        finally:
            server.should_exit = True
            thread.join(START_SECONDS)


def signed_in(base: str, who: str, password: str) -> httpx.Client:
    """A keep-alive client with a real session: the sign-in form posted with its token."""
    client = httpx.Client(base_url=base, timeout=120)
    found = CSRF.search(client.get("/signin").text)
    assert found, "no CSRF token on the sign-in page"
    signed = client.post(
        "/signin", data={"csrf_token": found[1], "email": who, "password": password}
    )
    assert signed.status_code == 303, f"signing in {who} answered {signed.status_code}"
    return client


def p95(seconds: list[float]) -> float:
    """Nearest rank: the time 95 in 100 requests took at most."""
    return sorted(seconds)[math.ceil(0.95 * len(seconds)) - 1]


def _timed(client: httpx.Client, path: str, status: int) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    assert response.status_code == status, (path, response.status_code)
    return elapsed


def measure(
    client: httpx.Client,
    page: Page,
    bodies: dict[str, bytes],
    *,
    requests: int,
    warm_up: int,
    seconds: float,
) -> Timing:
    """The page's bytes become its static twin's; then warm-up, then page and static
    alternating (each first in turn), so a burst of load elsewhere skews neither alone; up
    to ``requests`` of each, stopping past ``seconds`` once ``AT_LEAST`` are in."""
    first = client.get(page.path)
    bodies[page.name] = first.content
    static = f"/bench-static/{page.name}"
    for _ in range(warm_up):
        _timed(client, page.path, first.status_code)
        _timed(client, static, 200)
    times: list[float] = []
    static_times: list[float] = []
    began = time.perf_counter()
    for n in range(requests):
        if n >= AT_LEAST and time.perf_counter() - began > seconds:
            break
        order = [(page.path, first.status_code, times), (static, 200, static_times)]
        for path, status, into in order if n % 2 == 0 else order[::-1]:
            into.append(_timed(client, path, status))
    return Timing(page, first.status_code, len(first.content), times, static_times)


# --- one request under cProfile ------------------------------------------------------------------


async def _inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def profile(app: FastAPI, base: str, cookies: httpx.Cookies, path: str) -> pstats.Stats:
    """One request in this thread, its blocking work run inline rather than in the thread
    pool (cProfile sees one thread only), after one unprofiled request to warm caches."""
    profiler = cProfile.Profile()

    async def one() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base, cookies=cookies) as c:
            await c.get(path)
            profiler.enable()
            await c.get(path)
            profiler.disable()

    with ExitStack() as patches:
        for name, module in list(sys.modules.items()):
            if name.startswith("oscp_flow.web") and (
                getattr(module, "run_in_threadpool", None) is run_in_threadpool
            ):
                patches.enter_context(mock.patch.object(module, "run_in_threadpool", _inline))
        asyncio.run(one())
    return pstats.Stats(profiler)


def _driver(filename: str, function: str) -> bool:
    return "sqlite3" in function or "psycopg" in filename


def _templates(filename: str, function: str) -> bool:
    return "jinja2" in filename or "markupsafe" in filename or filename.endswith(".html")


def where_time_goes(name: str, stats: pstats.Stats) -> None:
    """Own time by kind (database driver, templates, the rest), then the project's functions
    by cumulative time and everything by own time."""
    entries: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    total = sum(own for _, _, own, _, _ in entries.values())
    driver = sum(v[2] for (f, _, fn), v in entries.items() if _driver(f, fn))
    templates = sum(v[2] for (f, _, fn), v in entries.items() if _templates(f, fn))
    print(
        f"  {name}, one request under cProfile: {total * 1e3:.0f} ms; database driver "
        f"{driver * 1e3:.0f} ms, Jinja2 and escaping {templates * 1e3:.0f} ms, the rest "
        f"(SQLAlchemy, services, web) {(total - driver - templates) * 1e3:.0f} ms"
    )
    stats.sort_stats("cumulative").print_stats(PROJECT, 25)
    stats.sort_stats("tottime").print_stats(12)
