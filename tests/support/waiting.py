"""Waiting for another process, where it announces nothing.

A test waits on the event itself wherever there is one: a ``threading.Event`` set by the
code under test, a line read from a child's output, a Playwright ``expect`` on the element.
Some state lives only in another process that says nothing when it changes (a flow run's
state in Prefect's server, a row another process writes, a file a child fills): that is
asked for again and again, until a deadline, here and nowhere else, so every such wait has
a bound and says what it last saw when the bound is reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
# Often enough that a test rarely waits more than a moment past the change; a caller asking
# a busy server over HTTP asks less often.
EVERY = 0.1


def eventually(check: Callable[[], T], timeout: float, *, every: float = EVERY) -> T:
    """The first result of ``check()`` that is true, asking every ``every`` seconds for at
    most ``timeout`` seconds. ``check`` may also fail an ``assert`` while the state is not
    there yet: the last such failure, or else the last result, is what the test fails with."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            seen = check()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        else:
            if seen:
                return seen
            if time.monotonic() >= deadline:
                raise AssertionError(f"not within {timeout:g} s; last seen: {seen!r}")
        # Nothing to wait on but the clock: the other process tells no one.
        time.sleep(every)
