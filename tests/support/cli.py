"""The ``oscp`` command as a person uses it, in tests.

In this process (``oscp``, ``oscp_with``), through Typer's ``CliRunner``, wherever a real process
is not the point: the command reads its settings from the same environment variables, builds
its dependencies the same way (``oscp_flow.wiring``) and prints the same sentences, without an
interpreter starting for every command. An exception the command does not turn into a
sentence fails the test where it is raised instead of hiding in the result.

In a subprocess (``OSCP``, ``oscp_in``), where the process is the point: what start-up
imports, signals, a server that runs until stopped, the worker's lease (held by a process),
the permissions of what a fresh process writes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

from typer.testing import CliRunner, Result

from oscp_flow.cli import app, common
from states.services.deps import Deps
from tests.support.paths import ROOT
from tests.support.ports import free_port

OSCP = [sys.executable, "-m", "oscp_flow"]
# Wide enough that no table row the tests read is wrapped.
COLUMNS = "200"


def oscp_with(env: Mapping[str, str | None], *args: str) -> Result:
    """The command in this process, with ``env`` over the test's environment (``None``
    unsets a variable)."""
    with _engines_disposed():
        return CliRunner().invoke(
            app, list(args), env={"COLUMNS": COLUMNS, **env}, catch_exceptions=False
        )


def oscp(home: Path, *args: str, actor: str | None = None, **env: str) -> Result:
    """The command in this process on the SQLite file under ``home`` (unless ``env`` names
    another database), acting as ``actor``."""
    # A port for the demo's mail capture that is not 8025, which may be a running `oscp up`'s.
    # Only `oscp demo` listens on it, and should the port be taken meanwhile the demo says so
    # and still succeeds (the mail stays queued), so a clash cannot fail a test.
    settings: dict[str, str | None] = {
        "OSCP_HOME": str(home),
        "OSCP_DATABASE_URL": None,
        "OSCP_SMTP_PORT": str(free_port()),
        "OSCP_ACTOR": actor,
    }
    return oscp_with({**settings, **env}, *args)


def on_database(deps: Deps, home: Path, port: int) -> dict[str, str]:
    """The settings that point the command at ``deps``'s database, with ``home`` as its home
    and its mail going to ``port``."""
    return {
        "OSCP_HOME": str(home),
        "OSCP_DATABASE_URL": deps.uow.engine.url.render_as_string(hide_password=False),
        "OSCP_SMTP_PORT": str(port),
        "COLUMNS": COLUMNS,
    }


@contextmanager
def _engines_disposed() -> Iterator[None]:
    """A command's process ends after it, and with it the database connections it opened;
    the test process goes on, so each engine the command built is disposed when it returns."""
    built: list[Deps] = []
    build = common.build_deps

    def build_and_keep() -> Deps:
        deps = build()
        built.append(deps)
        return deps

    with patch.object(common, "build_deps", build_and_keep):
        try:
            yield
        finally:
            for deps in built:
                deps.uow.engine.dispose()


def oscp_env(deps: Deps, home: Path, port: int) -> dict[str, str]:
    """The whole environment for the command in a subprocess on ``deps``'s database."""
    return {**os.environ, **on_database(deps, home, port)}


def oscp_in(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command in a subprocess with ``env`` (from ``oscp_env``)."""
    return subprocess.run(
        [*OSCP, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False
    )
