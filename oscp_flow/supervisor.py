"""Child processes for ``oscp up``: started in their own process groups, stopped together.

Each child leads a new session, so stopping it signals everything it started too (Prefect's
server runs uvicorn and its services; a runner spawns a process per flow run). Stopping is
SIGTERM, a grace period, then SIGKILL for whatever is left, so no process outlives ``up``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from states.errors import AuditEngineError


class StartFailed(AuditEngineError):
    """A part of ``oscp up`` did not start; the sentence names it and its log."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Supervisor:
    logs: Path
    env: Mapping[str, str]
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, argv: list[str], *, hide: Collection[str] = ()) -> Child:
        """Starts ``argv`` with the shared environment, less the variables in ``hide``
        (secrets that this child has no use for)."""
        self.logs.mkdir(mode=0o700, parents=True, exist_ok=True)
        log = self.logs / f"{name}.log"
        with log.open("ab") as sink:
            process = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
                argv,
                env={k: v for k, v in self.env.items() if k not in hide},
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def wait_until(
        self, child: Child, ready: Callable[[], bool], *, timeout: float, what: str
    ) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if child.process.poll() is not None:
                raise StartFailed(f"The {what} stopped while starting; see {child.log}.")
            if time.monotonic() > deadline:
                raise StartFailed(
                    f"The {what} did not become ready in {timeout:.0f} s; see {child.log}."
                )
            time.sleep(0.25)

    def first_stopped(self) -> Child | None:
        return next((c for c in self.children if c.process.poll() is not None), None)

    def stop(self, grace: float = 10.0) -> None:
        """Newest first, each group SIGTERM then, after ``grace``, SIGKILL: what was started
        last depends on what was started first (the runner on Prefect's server), so each
        part shuts down while what it talks to is still there."""
        for child in reversed(self.children):
            _signal_group(child.process, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=grace)
            _signal_group(child.process, signal.SIGKILL)  # the group may outlive its leader
            if child.process.poll() is None:
                child.process.wait()
        self.children.clear()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with urlopen(url, timeout=2) as response:  # noqa: S310  (a loopback address)
                return bool(response.status == 200)
        except (URLError, OSError):
            return False

    return check


def port_open(port: int) -> Callable[[], bool]:
    def check() -> bool:
        with socket.socket() as probe:
            probe.settimeout(1)
            return probe.connect_ex(("127.0.0.1", port)) == 0

    return check


def require_free(port: int, what: str, option: str) -> None:
    if port_open(port)():
        raise StartFailed(
            f"Port {port} for the {what} is already in use (is `oscp up` running already?); "
            f"stop that or choose another with {option}."
        )
