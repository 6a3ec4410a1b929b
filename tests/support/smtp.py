"""A real SMTP server (aiosmtpd) on loopback that keeps what it accepts, and the mailer that
sends to it.

The server is served from a socket bound before it starts (``tests.support.ports.listening``),
on asyncio's own ``create_server(sock=...)``, so no port is chosen and then released: aiosmtpd's
``Controller`` can only be told a port number, and with port 0 its start-up probe would connect
to port 0.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import partial
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from notifications.capture import quiet_server_log
from notifications.smtp import SmtpMailer
from tests.support.ports import LOOPBACK, listening, port_of

START_TIMEOUT = 10  # seconds: a loop on two busy cores; a failed start never sets the event


class Recorder:
    """An SMTP server's handler that keeps what it accepts; ``answers`` refuses addresses."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, ...]] = []
        self.answers: dict[str, str] = {}
        # Connections accepted, and those the client ended with QUIT: each is counted before
        # the client hears back, so a test reads them as soon as its call returns.
        self.connections = 0
        self.quits = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.answers:
            return self.answers[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        self.envelopes.append(tuple(envelope.rcpt_tos))
        self.received.append(BytesParser(policy=policy.default).parsebytes(raw))
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        self.quits += 1
        return "221 Bye"


class Logins(Recorder):
    """Also keeps every login it is offered, with whether the connection was encrypted at
    that moment; only ``password`` is accepted."""

    def __init__(self, password: str) -> None:
        super().__init__()
        self.password = password
        self.logins: list[tuple[str, bool]] = []

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        login = data.login.decode() if isinstance(data, LoginPassword) else "?"
        self.logins.append((login, encrypted))
        return AuthResult(
            success=isinstance(data, LoginPassword) and data.password == self.password.encode()
        )


@contextmanager
def smtp_server(
    handler: object, port: int = 0, *, ssl_context: ssl.SSLContext | None = None, **options: Any
) -> Iterator[int]:
    """Serves ``handler`` on loopback for the ``with`` block and gives its port: ``port`` when a
    test needs the same one again (a server that was down comes back), else one the kernel
    picks. ``ssl_context`` serves TLS from the first byte; ``options`` go to aiosmtpd's
    ``SMTP`` (``tls_context`` for STARTTLS, ``authenticator``, ``auth_require_tls``, ...)."""
    quiet_server_log()
    with listening(port) as sock:
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        # The loop runs in a thread of its own: the caller's may already run one
        # (Playwright's sync API does).
        serving = partial(_serve, loop, handler, sock, ready, ssl_context, options)
        thread = threading.Thread(target=serving, daemon=True)
        thread.start()
        try:
            assert ready.wait(START_TIMEOUT), "the SMTP server did not start"
            yield port_of(sock)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(START_TIMEOUT)


def _serve(
    loop: asyncio.AbstractEventLoop,
    handler: object,
    sock: socket.socket,
    ready: threading.Event,
    ssl_context: ssl.SSLContext | None = None,
    options: dict[str, Any] | None = None,
) -> None:
    asyncio.set_event_loop(loop)
    serving = loop.create_server(
        lambda: _smtp(handler, loop, **(options or {})), sock=sock, ssl=ssl_context
    )
    server = loop.run_until_complete(serving)
    ready.set()
    loop.run_forever()
    server.close()
    loop.run_until_complete(server.wait_closed())
    loop.close()


def _smtp(handler: object, loop: asyncio.AbstractEventLoop, **options: Any) -> SMTP:
    if isinstance(handler, Recorder):
        handler.connections += 1  # asyncio asks for a protocol once per connection accepted
    # As aiosmtpd's Controller makes it (UTF-8 addresses accepted), so tests see the same server.
    return SMTP(handler, loop=loop, enable_SMTPUTF8=True, **options)


def mailer(port: int) -> SmtpMailer:
    return SmtpMailer(host=LOOPBACK, port=port, timeout=10)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())
