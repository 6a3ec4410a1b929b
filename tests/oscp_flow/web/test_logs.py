"""Tokens never reach a log: the app's own lines, uvicorn's access log, and tracebacks."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest

from oscp_flow.web import views
from oscp_flow.web.logs import HIDDEN, RedactTokens, redact
from states.clock import FakeClock, SystemClock
from states.persistence.vocabulary import LinkPurpose
from states.services.deps import Deps
from tests.oscp_flow.web.conftest import MakeClient
from tests.oscp_flow.web.support import csrf_of, sign_off_links
from tests.support.ports import AddressInUse, retry_in_use
from tests.support.waiting import eventually

TOKEN = "zdRVDSRteeCPqwdN0VVCLXWxToeWTqr2OP0iw4AhObg"
STARTING = 30  # seconds `oscp web` may take to answer on two busy cores


def test_redact_hides_link_paths_and_token_shaped_text() -> None:
    assert redact(f'"GET /act/{TOKEN}?x=1 HTTP/1.1" 200') == f'"GET /act/{HIDDEN}?x=1 HTTP/1.1" 200'
    assert redact("/act/short-or-forged") == f"/act/{HIDDEN}"
    assert TOKEN not in redact(f"token was {TOKEN}.")
    digest = "a" * 64  # a SHA-256 digest is not a token and stays readable
    assert redact(digest) == digest


def test_the_filter_rewrites_arguments_and_tracebacks() -> None:
    try:
        raise RuntimeError(f"failed on /act/{TOKEN}")
    except RuntimeError:
        record = logging.LogRecord(
            "uvicorn.error",
            logging.ERROR,
            __file__,
            1,
            "%s %s",
            ("GET", f"/act/{TOKEN}"),
            sys.exc_info(),
        )
    assert RedactTokens().filter(record)
    text = logging.Formatter().format(record)
    assert TOKEN not in text and f"/act/{HIDDEN}" in text and "RuntimeError" in text


def test_no_app_log_line_holds_a_token(
    partnership: Deps,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    _, minted = sign_off_links(partnership)
    client = make_client(raise_server_exceptions=False, rate_limit="12/minute")
    token = minted["lhm"]
    form = {"csrf_token": csrf_of(client.get(f"/act/{token}").text), "purpose": "sign_off"}
    client.post(f"/act/{token}", data={**form, "decision": "approve"})
    client.post(f"/act/{token}", data={**form, "decision": "approve"})  # 409
    client.post(f"/act/{minted['lsp.police']}", data={"purpose": "sign_off"})  # 403
    client.get(f"/act/{TOKEN}")  # 404
    monkeypatch.setitem(views.SHOW, LinkPurpose.SIGN_OFF, _broken)
    client.get(f"/act/{minted['lsp.health']}")  # 500
    for _ in range(8):
        client.get(f"/act/{minted['lsp.council']}")  # into the rate limit
    # The test's own HTTP client logs the URLs it requests; that is not the app.
    served = [r for r in caplog.records if not r.name.startswith("httpx")]
    lines = [r.getMessage() + (r.exc_text or "") for r in served]
    assert any("refused" in line for line in lines)
    for line in lines:
        for secret in (*minted.values(), TOKEN):
            assert secret not in line


def _broken(_ctx: object, token: str, _form: object) -> None:
    raise RuntimeError(f"broken while showing {token}")


@contextmanager
def _served(deps: Deps, home: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    base, server = retry_in_use(lambda port: _start(deps, home, port))
    try:
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def _start(deps: Deps, home: Path, port: int) -> tuple[str, subprocess.Popen[str]]:
    """``oscp web`` on ``port``, up; it can only be told a port number, so one taken meanwhile
    (it exits saying so) is ``AddressInUse``."""
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "OSCP_HOME": str(home),
        "OSCP_DATABASE_URL": deps.uow.engine.url.render_as_string(hide_password=False),
        "OSCP_BASE_URL": base,
    }
    # A real process: its access log is what uvicorn, configured by `oscp web`, writes to stderr.
    command = [sys.executable, "-m", "oscp_flow", "web", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    _wait_until_up(base, server)
    return base, server


def _wait_until_up(base: str, server: subprocess.Popen[str]) -> None:
    # A bounded poll of a real process's health page: its stderr is the access log the tests
    # read afterwards, so waiting on a start-up line there would take lines they check.
    eventually(lambda: _healthy(base, server), STARTING)


def _healthy(base: str, server: subprocess.Popen[str]) -> bool:
    if server.poll() is not None:  # it will not come up: no use asking again
        said = server.stderr.read() if server.stderr else ""
        if "address already in use" in said.lower():
            raise AddressInUse(said)
        pytest.fail(f"oscp web exited early: {said}")
    try:
        return httpx2.get(f"{base}/healthz", timeout=1).text == "ok"
    except httpx2.TransportError:
        return False


@pytest.mark.slow
def test_oscp_web_serves_links_and_its_access_log_hides_them(
    partnership: Deps, clock: FakeClock, tmp_path: Path
) -> None:
    # The server runs on the real clock, so the links are minted on it too.
    clock.set(SystemClock().now())
    _, minted = sign_off_links(partnership)
    token = minted["lhm"]
    with _served(partnership, tmp_path) as (base, server):
        with httpx2.Client(base_url=base) as browser:
            page = browser.get(f"/act/{token}")
            assert page.status_code == 200 and "server" not in page.headers
            form = {"csrf_token": csrf_of(page.text), "purpose": "sign_off", "decision": "approve"}
            assert browser.post(f"/act/{token}", data=form).status_code == 200
            assert browser.get(f"/act/{TOKEN}?from=mail").status_code == 404
        server.terminate()
        _, log = server.communicate(timeout=30)
    assert f'"GET /act/{HIDDEN} HTTP/1.1" 200' in log
    assert f'"POST /act/{HIDDEN} HTTP/1.1" 200' in log
    assert f'"GET /act/{HIDDEN}?from=mail HTTP/1.1" 404' in log
    for secret in (*minted.values(), TOKEN):
        assert secret not in log
