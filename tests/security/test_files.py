"""Finding 6: what the engine writes is readable by the user who runs it and nobody else.

The engine's database, captured mail, logs, Prefect's home and rendered reports all carry
audit data, so the real ``oscp`` command runs here in a subprocess, as an operator runs it,
and every folder it makes must be 0700 and every file 0600.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.notifications.test_relay import free_port
from tests.oscp_flow.test_up import Up, up  # noqa: F401  (the real `oscp up`, as a fixture)

OSCP = [sys.executable, "-m", "oscp_flow"]


def oscp(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OSCP_HOME": str(home), "OSCP_SMTP_PORT": str(free_port())}
    env.pop("OSCP_DATABASE_URL", None)
    return subprocess.run(
        [*OSCP, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def loose(root: Path) -> list[str]:
    """Everything under ``root`` (itself included) that anyone but its owner could read."""
    found = [root, *root.rglob("*")]
    wanted = {True: 0o700, False: 0o600}
    return [f"{oct(mode(p))} {p}" for p in found if mode(p) != wanted[p.is_dir()]]


def test_a_new_home_and_everything_in_it_is_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    # The demo writes the engine's SQLite database and captures a hundred e-mails.
    result = oscp(home, "demo")
    assert result.returncode == 0, result.stderr
    assert (home / "oscp.db").exists() and any((home / "mail").rglob("*.vm"))
    assert loose(home) == []


def test_a_report_written_where_the_operator_names_is_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    demo = oscp(home, "demo")
    assert demo.returncode == 0, demo.stderr
    reference = re.findall(r"AUD-[A-Z0-9]{8}", demo.stdout)[0]
    written = tmp_path / "reports" / "summary.html"
    written.parent.mkdir()
    result = oscp(home, "report", "render", reference, "--html", str(written))
    assert result.returncode == 0, result.stderr
    assert mode(written) == 0o600


def test_an_existing_home_readable_by_others_is_tightened_and_said_so(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)
    result = oscp(home, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert mode(home) == 0o700
    assert f"{home} was readable by others" in " ".join(result.stderr.split())
    assert loose(home) == []


@pytest.mark.slow
def test_what_oscp_up_and_its_children_write_is_private(up: Up) -> None:  # noqa: F811
    """Prefect's server and its database, the flow runner, the web app and the worker are
    processes of their own, each writing logs; they inherit the private umask."""
    home = up.home
    assert (home / "prefect").is_dir() and any((home / "logs").glob("*.log"))
    # up.out is the test's own capture of the output, written by pytest, not by the engine.
    assert [line for line in loose(home) if not line.endswith(str(up.output))] == []
