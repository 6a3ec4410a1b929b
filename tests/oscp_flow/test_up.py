"""``oscp up`` for real: started as a newcomer would, an audit started through Prefect's API
as the UI's Run button does (with Prefect's login), the run seen complete, the audit in the
engine, the e-mail in the local capture, the Prefect UI in headless Chromium after signing
in; then Ctrl-C leaves no process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from notifications.capture import captured
from oscp_flow.prefect_auth import login_file
from oscp_flow.rehearsal.demo import email
from oscp_flow.settings import Settings
from oscp_flow.wiring import build
from states.services import queries
from tests.support.browser import chromium
from tests.support.files import loose
from tests.support.ports import free_port
from tests.support.prefect_api import finished, prefect_client
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow
READY = "Everything is running"
PASSWORD = "correct horse battery staple"
# A real process: `up` starts and supervises process groups, and Ctrl-C must stop them all.
UP = [sys.executable, "-m", "oscp_flow", "up", "--tick", "2"]


@dataclass
class Up:
    process: subprocess.Popen[bytes]
    home: Path
    api: str
    ui: str
    web: str
    output: Path
    marker: str

    @property
    def login_file(self) -> Path:
        return login_file(Settings(home=self.home))

    @property
    def login(self) -> str:
        return self.login_file.read_text().strip()


def processes_with(marker: str) -> list[int]:
    """Every live process whose environment carries ``marker``: ``up`` and all it started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in environ:
            found.append(int(entry.name))
    return found


def wait_for_text(path: Path, text: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    # `up` writes to a file the test keeps whole (it is read again at the end), so its output
    # is read again until the line is there.
    def written() -> bool:
        said = path.read_text(errors="replace")
        if text not in said and process.poll() is not None:  # stopped: it will write no more
            pytest.fail(said)
        assert text in said, said
        return True

    eventually(written, timeout, every=0.5)


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    prefect, web, smtp = free_port(), free_port(), free_port()
    marker = f"oscp-up-test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "OSCP_HOME": str(tmp_path),
        "OSCP_UP_TEST_MARKER": marker,
        "OSCP_DEMO_PASSWORD": PASSWORD,
    }
    for name in ("PREFECT_API_URL", "PREFECT_HOME", "OSCP_DATABASE_URL", "OSCP_PREFECT_OPERATOR"):
        env.pop(name, None)
    output = tmp_path / "up.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [*UP, "--prefect-port", str(prefect), "--web-port", str(web), "--smtp-port", str(smtp)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = Up(
        process,
        tmp_path,
        f"http://127.0.0.1:{prefect}/api",
        f"http://127.0.0.1:{prefect}",
        f"http://127.0.0.1:{web}",
        output,
        marker,
    )
    try:
        wait_for_text(output, READY, process, timeout=300)
        yield started
    finally:
        _stop_everything(process, marker)


def _stop_everything(process: subprocess.Popen[bytes], marker: str) -> None:
    """After a failed test too: ``up`` is asked to stop as Ctrl-C would; whatever still
    carries the marker then (its children lead their own sessions) is killed."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pid in processes_with(marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def start_like_the_run_button(up: Up, parameters: dict[str, Any]) -> dict[str, Any]:
    user, _, password = up.login.partition(":")
    with prefect_client(up.api, (user, password)) as client:
        deployment = client.get("/deployments/name/start-audit/start-audit").json()
        assert deployment["parameter_openapi_schema"]["properties"]["programme_entry"]["enum"]
        asked = client.post(
            f"/deployments/{deployment['id']}/create_flow_run", json={"parameters": parameters}
        )
        assert asked.status_code == 201, asked.text
        return finished(client, asked.json()["id"], timeout=120)


def test_up_runs_an_audit_started_from_prefect_and_stops_clean(up: Up) -> None:
    with prefect_client(up.api) as anonymous:
        assert anonymous.get("/deployments/name/start-audit/start-audit").status_code == 401
    run = start_like_the_run_button(
        up,
        {"programme_entry": "sexual-abuse-mace", "lead": email("chair"), "agencies": ["police"]},
    )
    assert run["state"]["type"] == "COMPLETED"
    reference = run["name"].removeprefix("start mace ")
    assert f"audit:{reference}" in run["tags"]

    deps = build(Settings(home=up.home))
    status = queries.audit_status(deps, audit=reference, as_person=email("coordinator"))
    assert status.state == "planning"

    def sent() -> list[str]:  # the worker ticks every 2 s, as Prefect flows
        subjects = [m.subject for m in captured(up.home)]
        assert any(reference in subject for subject in subjects), subjects
        return subjects

    eventually(sent, 60, every=0.5)
    assert any("Sign-off" in m.subject for m in captured(up.home)), "the showcase's sign-off"
    assert any("Action for" in m.subject for m in captured(up.home)), "the showcase's action"
    # Prefect's server and database, the runner, the web app and the worker each write files
    # of their own; all inherit `oscp`'s private umask (the test's own capture aside).
    assert (up.home / "prefect").is_dir() and any((up.home / "logs").glob("*.log"))
    assert loose(up.home, besides=(up.output,)) == []

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        # The UI opens on its login page: one field for "user:password".
        page.goto(up.ui)
        page.get_by_placeholder("admin:pass").fill(up.login)
        page.get_by_role("button", name="Login").click()
        page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
        page.goto(f"{up.ui}/runs/flow-run/{run['id']}")
        page.get_by_text(run["name"]).first.wait_for(timeout=60_000)
        page.screenshot(path=str(up.home / "prefect-ui-flow-run.png"), full_page=True)
        page.goto(f"{up.ui}/runs")
        page.get_by_text("reminder-sweep").first.wait_for(timeout=60_000)
        page.screenshot(path=str(up.home / "prefect-ui-runs.png"), full_page=True)
        # The same audit on the coordinator's page of the web app, after signing in.
        page.goto(f"{up.web}/audits/{reference}")
        page.get_by_label("E-mail address").fill(email("coordinator"))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name=reference).first.wait_for(timeout=30_000)
        assert page.locator("svg.diagram g.current").get_attribute("id") == "state-planning"
        page.screenshot(path=str(up.home / "coordinator-audit.png"), full_page=True)

    up.process.send_signal(signal.SIGINT)
    assert up.process.wait(timeout=120) == 0, up.output.read_text()
    assert "Stopped." in up.output.read_text()
    # `up` said how to sign in to Prefect, and neither it nor any log shows the password.
    password = up.login.partition(":")[2]
    told = up.output.read_text()
    assert f"Prefect UI sign-in: user oscp; enter the whole line of {up.login_file}" in told
    for log in [up.output, *(up.home / "logs").iterdir()]:
        assert password not in log.read_text(errors="replace"), log

    def all_gone() -> bool:
        left = processes_with(up.marker)
        assert not left, left
        return True

    eventually(all_gone, 10, every=0.5)
