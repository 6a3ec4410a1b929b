"""Finding 6: what the engine writes is readable by the user who runs it and nobody else.

The engine's database, captured mail, logs, Prefect's home and rendered reports all carry
audit data, so the real ``oscp`` command runs here in a subprocess, as an operator runs it,
and every folder it makes must be 0700 and every file 0600.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.support.files import loose, mode
from tests.support.ports import free_port

OSCP = [sys.executable, "-m", "oscp_flow"]


def oscp(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A real process: what a fresh one makes, under the umask `oscp` sets for itself.
    env = {**os.environ, "OSCP_HOME": str(home), "OSCP_SMTP_PORT": str(free_port())}
    env.pop("OSCP_DATABASE_URL", None)
    return subprocess.run(
        [*OSCP, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False
    )


def test_a_new_home_everything_in_it_and_a_report_written_elsewhere_are_private(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    # The demo writes the engine's SQLite database and captures a hundred e-mails.
    demo = oscp(home, "demo")
    assert demo.returncode == 0, demo.stderr
    assert (home / "oscp.db").exists() and any((home / "mail").rglob("*.vm"))
    assert loose(home) == []
    # A report written where the operator names, outside the home, is private too.
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
