"""Sending messages over SMTP, a relay round's over one connection, and what a failure means
for the relay.

The connection is encrypted as configured (STARTTLS, or implicit TLS from the first byte) with
the relay's certificate verified, and a login is never sent over a connection that is not.

The relay only needs to know whether to try again later (``DeliveryDeferred``: the server is
down, slow, or answered 4xx) or to stop and show the failure (``DeliveryRefused``: the server
answered 5xx for this message or its recipient). Neither error carries the server's reply
text, which often quotes the recipient's address; only the failure's class and SMTP code.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from states.errors import AuditEngineError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

logger = logging.getLogger(__name__)

# none: only for the local capture on loopback; starttls: upgrade after connecting (usually
# port 587); implicit: TLS from the first byte, SMTPS (usually port 465).
TlsMode = Literal["none", "starttls", "implicit"]
# Many servers take no more than about a hundred messages over one connection; going before
# they ask keeps a round from meeting their limit as a failure.
PER_CONNECTION = 100


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@runtime_checkable
class SessionMailer(Mailer, Protocol):
    """A mailer that can carry many messages over one connection: ``session()`` gives a
    mailer whose connection lasts until the ``with`` block ends, and no longer."""

    def session(self) -> AbstractContextManager[Mailer]: ...


@contextmanager
def sending(mailer: Mailer) -> Iterator[Mailer]:
    """The mailer for one round: the mailer's session where it has one, else the mailer."""
    if isinstance(mailer, SessionMailer):
        with mailer.session() as session:
            yield session
    else:
        yield mailer


class DeliveryError(AuditEngineError):
    """A message did not go; ``cause`` names what happened, ``code`` is the SMTP reply code."""

    def __init__(self, sentence: str, *, cause: str, code: int | None = None) -> None:
        self.cause = cause
        self.code = code
        super().__init__(sentence)

    @property
    def summary(self) -> str:
        """What may be stored and shown about the failure: class and code, never the text."""
        code = f" {self.code}" if self.code is not None else ""
        return f"{type(self).__name__}: {self.cause}{code}"


class DeliveryDeferred(DeliveryError):
    """Transient: try again later. ``server_down`` means no message would get through now."""

    retryable = True

    def __init__(
        self,
        *,
        cause: str,
        code: int | None = None,
        server_down: bool = False,
        sentence: str | None = None,
    ) -> None:
        self.server_down = server_down
        what = f"answered {code}" if code is not None else f"could not be reached ({cause})"
        super().__init__(
            sentence or f"The mail server {what}; the message will be tried again later.",
            cause=cause,
            code=code,
        )


class LoginNeedsTls(DeliveryDeferred):
    """The connection is not encrypted, so the password was not sent. Every message would
    meet the same, so the round stops and the messages wait for the configuration to change."""

    def __init__(self) -> None:
        super().__init__(
            cause=type(self).__name__,
            server_down=True,
            sentence=(
                "The connection to the mail server is not encrypted, so its login was not "
                "sent; set OSCP_SMTP_TLS to starttls or implicit."
            ),
        )


class DeliveryRefused(DeliveryError):
    """Permanent for this message: it stays failed until someone retries it."""

    def __init__(self, *, cause: str, code: int) -> None:
        super().__init__(
            f"The mail server refused the message ({code}); check the recipient's address, "
            "then retry it.",
            cause=cause,
            code=code,
        )


@dataclass(frozen=True)
class SmtpMailer:
    """Sends a relay round's messages over one connection (``session``), or one message over
    a connection of its own (``send``).

    A connection carries at most ``per_connection`` messages, then another is opened; each is
    encrypted and logged in to once, with the same checks every time. No connection outlives
    its session: it is closed as the round ends, however it ends, so a crash mid-round leaves
    nothing half-open to reason about."""

    host: str
    port: int
    timeout: float = 30.0
    tls: TlsMode = "none"
    username: str | None = None
    password: str | None = None
    # Trust only this CA bundle (a relay with a private certificate) instead of the system's.
    ca_file: Path | None = None
    # 1 gives every message a connection of its own.
    per_connection: int = PER_CONNECTION

    def send(self, message: EmailMessage) -> None:
        with self.session() as session:
            session.send(message)

    @contextmanager
    def session(self) -> Iterator[Mailer]:
        """A mailer whose connection is opened for its first message and closed on leaving."""
        session = _Session(self)
        try:
            yield session
        finally:
            session.close()


class _Connection(smtplib.SMTP):
    """Notes whether a message's data began to go: until then nothing of the message can have
    been delivered, so sending it again over another connection cannot make a copy."""

    data_started = False

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        self.data_started = True
        return super().data(msg)


class _TlsConnection(_Connection, smtplib.SMTP_SSL):
    """The same, encrypted from the first byte."""


class _Session:
    """One round's connection, and the messages it has carried."""

    def __init__(self, mailer: SmtpMailer) -> None:
        self.mailer = mailer
        self.connection: _Connection | None = None
        self.carried = 0

    def send(self, message: EmailMessage) -> None:
        try:
            self._send(message)
        except OSError as exc:  # smtplib's own errors are OSErrors too
            raise _failure(exc) from None

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            _quit(connection)

    def _send(self, message: EmailMessage) -> None:
        reused = self.connection is not None
        connection = self.connection or self._open()
        try:
            self._hand_over(connection, message)
        except OSError as exc:
            if not reused or connection.data_started or not _dropped(exc):
                raise
            # The server closed a connection that had carried earlier messages (an idle
            # timeout, a limit of its own, a 421) before this message's data began: nothing
            # of it went, and that the server is down is not yet known. So one new connection
            # is tried; its failure is this message's, classified as any other.
            logger.debug(
                "The mail server closed the connection (%s); connecting again.",
                type(exc).__name__,
            )
            self._hand_over(self._open(), message)

    def _open(self) -> _Connection:
        connection = self._connect()
        try:
            self._prepare(connection)
        except BaseException:
            _quit(connection)
            raise
        self.connection, self.carried = connection, 0
        return connection

    def _hand_over(self, connection: _Connection, message: EmailMessage) -> None:
        connection.data_started = False
        self.carried += 1
        try:
            connection.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException):
            # A refusal: smtplib has reset the transaction (RSET) for the next message, or,
            # when the server was closing (421), closed the socket.
            if connection.sock is None:
                self.close()
            raise
        except BaseException:
            self.close()  # halfway through a command: the next message needs a new connection
            raise
        finally:
            if self.connection is connection and self.carried >= self.mailer.per_connection:
                self.close()

    def _context(self) -> ssl.SSLContext:
        # The default context verifies the certificate and the host name.
        return ssl.create_default_context(cafile=self.mailer.ca_file)

    def _connect(self) -> _Connection:
        host, port, timeout = self.mailer.host, self.mailer.port, self.mailer.timeout
        if self.mailer.tls == "implicit":
            return _TlsConnection(host, port, timeout=timeout, context=self._context())
        return _Connection(host, port, timeout=timeout)

    def _prepare(self, smtp: smtplib.SMTP) -> None:
        if self.mailer.tls == "starttls":
            # Refused (SMTPNotSupportedError) by a server that does not offer it: never a
            # silent fall back to plain text.
            smtp.starttls(context=self._context())
        if self.mailer.username:
            # Checked on the socket itself, whatever the settings said: settings refuse a
            # login without TLS at start-up, and this refuses it again at the last moment.
            if not isinstance(smtp.sock, ssl.SSLSocket):
                raise LoginNeedsTls()
            smtp.login(self.mailer.username, self.mailer.password or "")


def _quit(connection: smtplib.SMTP) -> None:
    """Says goodbye where the server still listens; the socket is closed whatever it says."""
    try:
        connection.quit()
    except OSError:
        pass
    finally:
        connection.close()


def _dropped(exc: OSError) -> bool:
    """The server hung up, or said it was closing the connection (421)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code == 421 for code, _text in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    return isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(
        exc, smtplib.SMTPException
    )


def _failure(exc: OSError) -> DeliveryError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # One recipient per message, so this is that recipient's answer.
        codes = [code for code, _text in exc.recipients.values()]
        return classify(type(exc).__name__, min(codes, default=None))
    if isinstance(exc, smtplib.SMTPResponseException):
        return classify(type(exc).__name__, exc.smtp_code, about_message=_about(exc))
    # Refused connections, timeouts, dropped sessions, TLS failures.
    return DeliveryDeferred(cause=type(exc).__name__, server_down=True)


def _about(exc: smtplib.SMTPResponseException) -> bool:
    """Only a refusal of the data itself is about this message; a refused sender, HELO or
    login is about our configuration, and every other message would meet it too."""
    return isinstance(exc, smtplib.SMTPDataError)


def classify(cause: str, code: int | None, *, about_message: bool = True) -> DeliveryError:
    """5xx about this message is permanent; anything else is worth another try later."""
    if code is not None and 500 <= code < 600 and about_message:
        return DeliveryRefused(cause=cause, code=code)
    # 421 means the server is closing the session: nothing else will get through now either.
    down = code is None or code == 421 or not about_message
    return DeliveryDeferred(cause=cause, code=code, server_down=down)
