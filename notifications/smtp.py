"""Sending one message over SMTP, and what a failure means for the relay.

The connection is encrypted as configured (STARTTLS, or implicit TLS from the first byte) with
the relay's certificate verified, and a login is never sent over a connection that is not.

The relay only needs to know whether to try again later (``DeliveryDeferred``: the server is
down, slow, or answered 4xx) or to stop and show the failure (``DeliveryRefused``: the server
answered 5xx for this message or its recipient). Neither error carries the server's reply
text, which often quotes the recipient's address; only the failure's class and SMTP code.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Literal, Protocol

from states.errors import AuditEngineError

# none: only for the local capture on loopback; starttls: upgrade after connecting (usually
# port 587); implicit: TLS from the first byte, SMTPS (usually port 465).
TlsMode = Literal["none", "starttls", "implicit"]


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


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
    """One connection per message: a relay round is small, and a connection never outlives
    the message it carried, so a crash mid-round leaves nothing half-open to reason about."""

    host: str
    port: int
    timeout: float = 30.0
    tls: TlsMode = "none"
    username: str | None = None
    password: str | None = None
    # Trust only this CA bundle (a relay with a private certificate) instead of the system's.
    ca_file: Path | None = None

    def send(self, message: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                self._prepare(smtp)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            # One recipient per message, so this is that recipient's answer.
            codes = [code for code, _text in exc.recipients.values()]
            raise classify(type(exc).__name__, min(codes, default=None)) from None
        except smtplib.SMTPResponseException as exc:
            raise classify(type(exc).__name__, exc.smtp_code, about_message=_about(exc)) from None
        except (smtplib.SMTPException, OSError) as exc:
            # Refused connections, timeouts, dropped sessions, TLS failures.
            raise DeliveryDeferred(cause=type(exc).__name__, server_down=True) from None

    def _context(self) -> ssl.SSLContext:
        # The default context verifies the certificate and the host name.
        return ssl.create_default_context(cafile=self.ca_file)

    def _connect(self) -> smtplib.SMTP:
        if self.tls == "implicit":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _prepare(self, smtp: smtplib.SMTP) -> None:
        if self.tls == "starttls":
            # Refused (SMTPNotSupportedError) by a server that does not offer it: never a
            # silent fall back to plain text.
            smtp.starttls(context=self._context())
        if self.username:
            # Checked on the socket itself, whatever the settings said: settings refuse a
            # login without TLS at start-up, and this refuses it again at the last moment.
            if not isinstance(smtp.sock, ssl.SSLSocket):
                raise LoginNeedsTls()
            smtp.login(self.username, self.password or "")


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
