"""The ``oscp`` command as a person uses it: in a subprocess (where a real process is the
point: start-up, exit codes, signals, the environment it reads)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from states.services.deps import Deps
from tests.conftest import ROOT
from tests.support.ports import free_port

OSCP = [sys.executable, "-m", "oscp_flow"]


def oscp(home: Path, *args: str, actor: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command on the demo's SQLite file under ``home``."""
    # A port for the demo's mail capture that is not 8025, which may be a running `oscp up`'s.
    # Only `oscp demo` listens on it, and should the port be taken meanwhile the demo says so
    # and still succeeds (the mail stays queued), so a clash cannot fail a test.
    env = {
        **os.environ,
        "OSCP_HOME": str(home),
        "COLUMNS": "200",
        "OSCP_SMTP_PORT": str(free_port()),
    }
    env.pop("OSCP_DATABASE_URL", None)
    if actor:
        env["OSCP_ACTOR"] = actor
    return subprocess.run(
        [*OSCP, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False
    )


def oscp_env(deps: Deps, home: Path, port: int) -> dict[str, str]:
    """The environment for the command on ``deps``'s database, sending mail to ``port``."""
    return {
        **os.environ,
        "OSCP_HOME": str(home),
        "OSCP_DATABASE_URL": deps.uow.engine.url.render_as_string(hide_password=False),
        "OSCP_SMTP_PORT": str(port),
        "COLUMNS": "200",
    }


def oscp_in(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command in ``env`` (from ``oscp_env``)."""
    return subprocess.run(
        [*OSCP, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False
    )
