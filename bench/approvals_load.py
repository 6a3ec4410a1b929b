"""Serving and loading for ``bench.approvals``: the product's app and a bare FastAPI page,
each in its own process under uvicorn as ``oscp web`` runs it, and concurrent clients that
decide as browsers do.

Run as ``python -m bench.approvals_load --app product|bare --port N --now ISO``, it is the
server: the product's app is built as ``oscp web`` builds it (``Settings()`` and ``load(
WebConfig)`` from the environment the bench gives it, ``wiring.build``), on a clock fixed at
``--now`` (when the links were minted), and served by ``uvicorn.run`` with ``oscp web``'s
options: its redacting log config, the access log on (written to a file), no Server header,
no proxy headers. A process of its own, so the clients' work never takes the server's GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from bench.approvals_seed import Decision, Outcome

Client = httpx.AsyncClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
START_SECONDS = 60
# Said on the page after each kind of decision (oscp_flow/web/templates/done.html).
SAID = {
    Outcome.APPROVE_WAITING: "Your approval is recorded. The audit is signed off once",
    Outcome.APPROVE_MOVED: "Your approval is recorded, and with it the audit is signed off",
    Outcome.REFUSE_MOVED: "The audit's chair is asked for the further assurance",
}
BARE_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Decision recorded'
    "</title></head><body><h1>Decision recorded</h1><p>You can close this page.</p></body></html>"
)
# The bare endpoint's form: the shape of a decision's (the token as long as a real one).
BARE_FORM = {"csrf_token": "0" * 40, "purpose": "sign_off", "decision": "approve", "comment": ""}
# Links are as rare as people: the bench's clients all come from one address, so the app's
# per-address limit is raised out of reach rather than switched off (its counting still runs).
SERVER_ENV = {"OSCP_WEB_RATE_LIMIT": "1000000/minute"}


# --- the servers --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """A server process: where it answers, where it logs, and its process id."""

    base: str
    log: Path
    pid: int

    def cpu_seconds(self) -> float:
        """The CPU time the process has used, all its threads (Linux's /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serving(app: str, *, database_url: str, now: datetime, folder: Path) -> Iterator[Served]:
    """``app`` ("product" or "bare") in its own process on a free loopback port."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    home = folder / f"home-{app}-{port}"
    log = folder / f"{app}-{port}.log"
    env = {
        **os.environ,
        **SERVER_ENV,
        "OSCP_HOME": str(home),
        "OSCP_DATABASE_URL": database_url,
        "OSCP_BASE_URL": base,
    }
    command = [sys.executable, "-m", __name__, "--app", app, "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--now", now.isoformat()], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_up(f"{base}/{'healthz' if app == 'product' else 'bare'}", process, log)
        yield Served(base, log, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=START_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    began = time.perf_counter()
    while time.perf_counter() - began < START_SECONDS:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped as it started:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not start in {START_SECONDS} s")


def errors_logged(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if " ERROR " in line]


def _serve(app: str, port: int, now: datetime) -> None:
    import uvicorn
    from fastapi import FastAPI
    from starlette.responses import HTMLResponse

    from oscp_flow.settings import Settings, load
    from oscp_flow.web import WebConfig, create_app
    from oscp_flow.web.logs import uvicorn_log_config
    from oscp_flow.wiring import build
    from states.clock import FakeClock

    if app == "product":
        settings = Settings()
        application = create_app(build(settings, FakeClock(now)), settings, load(WebConfig))
    else:
        application = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

        async def bare() -> HTMLResponse:
            return HTMLResponse(BARE_PAGE)

        application.add_api_route("/bare", bare, methods=["GET", "POST"])
    uvicorn.run(
        application,
        host="127.0.0.1",
        port=port,
        log_config=uvicorn_log_config(),
        access_log=True,
        server_header=False,
        proxy_headers=False,
    )


# --- the clients --------------------------------------------------------------------------------


@dataclass
class Load:
    """What the clients saw, over every round."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the clients' own
    server_cpu_seconds: float = 0.0
    done: int = 0
    posts: list[float] = field(default_factory=list)
    gets: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.done / self.seconds

    @property
    def client_cpu(self) -> float:
        return self.cpu_seconds / self.seconds

    @property
    def server_cpu_ms(self) -> float:
        """The server's CPU time for each piece of work (a decision, or a GET + POST pair)."""
        return self.server_cpu_seconds / max(self.done, 1) * 1e3

    def post_ms(self, share: float) -> float:
        return nearest_rank(self.posts, share) * 1e3

    def get_ms(self, share: float) -> float:
        return nearest_rank(self.gets, share) * 1e3


def nearest_rank(seconds: Sequence[float], share: float) -> float:
    if not seconds:
        return math.nan
    return sorted(seconds)[max(math.ceil(share * len(seconds)) - 1, 0)]


async def _get(client: Client, path: str) -> httpx.Response:
    """A GET, sent again once if the kept-alive connection was closed under it: the server
    closes connections idle for 5 s (uvicorn's default, as ``oscp web`` runs it), as happens
    to one side's browsers while the other side's round runs, and browsers retry so too."""
    try:
        return await client.get(path)
    except httpx.TransportError:
        return await client.get(path)


async def _decide(client: Client, decision: Decision, load: Load) -> None:
    """What a browser does: open the link (the form's cookie and token), then post."""
    path = f"/act/{decision.token}"
    started = time.perf_counter()
    page = await _get(client, path)
    opened = time.perf_counter()
    found = CSRF.search(page.text)
    if page.status_code != 200 or found is None:
        load.failures.append(f"GET answered {page.status_code}")
        return
    form = {"csrf_token": found[1], "purpose": "sign_off", **decision.form}
    posted = await client.post(path, data=form)
    load.gets.append(opened - started)
    load.posts.append(time.perf_counter() - opened)
    if posted.status_code == 200 and SAID[decision.outcome] in " ".join(posted.text.split()):
        load.done += 1
    else:
        said = "" if posted.status_code != 200 else f", not '{SAID[decision.outcome]}'"
        load.failures.append(f"POST answered {posted.status_code}{said}")


async def _bare_pair(client: Client, load: Load) -> None:
    started = time.perf_counter()
    page = await _get(client, "/bare")
    opened = time.perf_counter()
    posted = await client.post("/bare", data=BARE_FORM)
    load.gets.append(opened - started)
    load.posts.append(time.perf_counter() - opened)
    if page.status_code == posted.status_code == 200:
        load.done += 1
    else:
        load.failures.append(f"bare page answered {page.status_code}, {posted.status_code}")


async def _browsers(stack: AsyncExitStack, base: str, warm: Sequence[str]) -> list[Client]:
    """A browser for each path in ``warm``: its own cookie jar and connection, opened with a
    GET of that path (which changes nothing) before any clock starts."""
    browsers = [
        await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=120)) for _ in warm
    ]
    for client, path in zip(browsers, warm, strict=True):
        assert (await client.get(path)).status_code == 200, "warming up"
    return browsers


async def _timed(
    browsers: list[Client], work: Iterator[Decision | None], load: Load, server: Served
) -> None:
    """Every browser taking the next piece of work until none is left."""

    async def browser(client: Client) -> None:
        for item in work:
            if item is None:
                await _bare_pair(client, load)
            else:
                await _decide(client, item, load)

    began, cpu, served = time.perf_counter(), time.process_time(), server.cpu_seconds()
    await asyncio.gather(*(browser(client) for client in browsers))
    load.seconds += time.perf_counter() - began
    load.cpu_seconds += time.process_time() - cpu
    load.server_cpu_seconds += server.cpu_seconds() - served


async def _rounds(
    bare: Served, app: Served, decisions: Sequence[Decision], clients: int, rounds: int
) -> tuple[Load, Load]:
    async with AsyncExitStack() as stack:
        bare_browsers = await _browsers(stack, bare.base, ["/bare"] * clients)
        warm = [f"/act/{d.token}" for d in decisions[:clients]]
        browsers = await _browsers(stack, app.base, warm)
        pairs, decided = Load(), Load()
        size = math.ceil(len(decisions) / rounds)
        for start in range(0, len(decisions), size):
            chunk = decisions[start : start + size]
            await _timed(bare_browsers, iter([None] * len(chunk)), pairs, bare)
            await _timed(browsers, iter(chunk), decided, app)
        return pairs, decided


def under_load(
    bare: Served, app: Served, decisions: Sequence[Decision], *, clients: int, rounds: int
) -> tuple[Load, Load]:
    """The bare page's GET + POST pairs and the decisions, by ``clients`` browsers at a time
    for each, in alternating rounds of as many of each, so that load elsewhere on the
    machine weighs on both alike; the bare page's figures, then the decisions'."""
    return asyncio.run(_rounds(bare, app, decisions, clients, rounds))


def median_ms(seconds: Sequence[float]) -> float:
    return statistics.median(seconds) * 1e3 if seconds else math.nan


def main() -> None:
    parser = argparse.ArgumentParser(description="One server for bench.approvals.")
    parser.add_argument("--app", choices=["product", "bare"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--now", type=datetime.fromisoformat, required=True)
    args = parser.parse_args()
    _serve(args.app, args.port, args.now)


if __name__ == "__main__":
    main()
