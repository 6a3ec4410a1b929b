"""Ports on loopback for the servers a test starts.

Asking the kernel for a free port (bind port 0, read the number, close) and handing the number
on races: between the close and the server's own bind, any other process may take the port. So:

- a server in this process is given a socket that is already bound and listening (``bound``,
  ``listening``): the port is the test's from the first moment, and a client that connects
  before the server has started waits in the socket's backlog instead of being refused;
- a subprocess that can only be told a number gets one from ``free_port``, and the test starts
  it through ``retry_in_use``, which tries again, a bounded number of times, when the address
  turns out to be taken;
- a port where a test needs *nothing* listening (a server that is down) is ``refused_port``:
  bound but never listening, held for the rest of the run, so connections to it are refused
  and no other process can start listening there.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

LOOPBACK = "127.0.0.1"
T = TypeVar("T")
# A port taken in the instant between probe and bind is rare; three clashes in a row are not
# bad luck but a port that is never free, which should fail the test.
TRIES = 3


class AddressInUse(Exception):
    """Raised by a ``retry_in_use`` starter whose subprocess found its port taken."""


# Sockets held by ``refused_port`` until the test process ends.
_REFUSING: list[socket.socket] = []


def free_port() -> int:
    """A port that was free a moment ago, for a subprocess that must be told a number; racy
    on its own, so start such a subprocess through ``retry_in_use`` (see the module's
    docstring)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def retry_in_use(start: Callable[[int], T], tries: int = TRIES) -> T:
    """``start(port)`` on a fresh ``free_port`` until the port is not taken: ``start`` raises
    ``AddressInUse`` for a subprocess that said so, and an in-process bind raises ``OSError``
    with ``EADDRINUSE``."""
    for _ in range(tries - 1):
        try:
            return start(free_port())
        except AddressInUse:
            continue
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
    return start(free_port())


def refused_port() -> int:
    """A port on loopback where connections are refused for the rest of the run."""
    sock = socket.socket()
    sock.bind((LOOPBACK, 0))
    _REFUSING.append(sock)
    return port_of(sock)


def bound(port: int = 0) -> socket.socket:
    """A socket bound to loopback and listening (on ``port``, or on one the kernel picks), to be
    handed to a server in this process, which closes it.

    Made naming TCP, unlike ``socket.create_server``: asyncio turns Nagle's algorithm off only
    on sockets that say they are TCP, and without that every small response after the first
    on a connection waited about 40 ms for the client's delayed ACK (uvicorn issue 3149)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, port))
        sock.listen()
    except OSError:
        sock.close()
        raise
    return sock


@contextmanager
def listening(port: int = 0) -> Iterator[socket.socket]:
    """``bound``, closed at the end of the ``with`` block."""
    with bound(port) as sock:
        yield sock


def port_of(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])
