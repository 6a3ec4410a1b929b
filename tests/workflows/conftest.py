"""One Prefect test server for the whole session (it takes ~17 s to start) and a runtime
whose engine is the test's own database and whose mail goes to a capture on loopback; its
runs act as the test partnership's coordinator, who also starts the calendar work, with its
chair.

The test server takes no login: the login of a server started as `oscp up` starts it is
tested in tests/security/test_prefect.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from notifications.capture import start_capture
from notifications.smtp import SmtpMailer
from states.services.deps import Deps
from tests.notifications.relay_once import Config
from tests.support.partnership import email
from tests.support.ports import retry_in_use
from workflows import runtime


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture
def capture(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    # The capture can only be told a port number: taken meanwhile, it is tried on another.
    controller: Controller = retry_in_use(lambda port: start_capture(tmp_path, port=port))
    try:
        yield tmp_path, controller.port
    finally:
        controller.stop()


@pytest.fixture
def flows_runtime(
    prefect_server: None, partnership: Deps, capture: tuple[Path, int]
) -> Iterator[runtime.Runtime]:
    mailer = SmtpMailer(
        host="127.0.0.1", port=capture[1], timeout=5, tls="none", username=None, password=None
    )
    installed = runtime.Runtime(
        deps=partnership,
        mailer=mailer,
        relay_config=Config(),
        operator=email("coordinator"),
        calendar=runtime.CalendarPeople(email("coordinator"), email("chair")),
    )
    runtime.install(installed)
    try:
        yield installed
    finally:
        runtime.install(None)
