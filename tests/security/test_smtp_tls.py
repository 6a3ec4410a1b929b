"""Finding 7: the relay's password never crosses the network in clear.

A real SMTP server (aiosmtpd on loopback) with a throw-away self-signed certificate, trusted
through the CA-file setting as a partnership's private relay would be. A login over a plain
connection is refused by the settings at start-up and, again, by the mailer itself before
the AUTH command: the server must never see one. STARTTLS and implicit TLS both deliver.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from notifications.capture import quiet_server_log
from notifications.smtp import DeliveryDeferred, LoginNeedsTls, SmtpMailer, TlsMode
from oscp_flow.settings import Settings, SettingsInvalid, load
from oscp_flow.wiring import mailer
from tests.support.cli import oscp
from tests.support.ports import LOOPBACK, retry_in_use
from tests.support.smtp import Logins
from tests.support.tls import Certificate, self_signed

USER, PASSWORD = "relay-user", "correct horse battery staple"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed(tmp_path_factory.mktemp("tls"))


class Relay(Logins):
    """Keeps the messages it accepts and every login it is offered, with whether the
    connection was encrypted at that moment."""

    def __init__(self, port: int) -> None:
        super().__init__(PASSWORD)
        self.port = port


@contextmanager
def relay_server(**options: Any) -> Iterator[Relay]:
    quiet_server_log()
    ssl_context = options.pop("ssl_context", None)

    def start(port: int) -> tuple[Relay, Controller]:
        # aiosmtpd's Controller can only be told a port number (with TLS and authentication,
        # which ``tests.support.smtp`` does not serve): taken meanwhile, another is tried.
        relay = Relay(port)
        controller = Controller(
            relay,
            hostname=LOOPBACK,
            port=port,
            ssl_context=ssl_context,
            authenticator=relay.authenticate,
            **options,
        )
        controller.start()
        return relay, controller

    relay, controller = retry_in_use(start)
    try:
        yield relay
    finally:
        controller.stop()


def message() -> EmailMessage:
    sent = EmailMessage()
    sent["From"] = "learning-hub@oscp.example.org"
    sent["To"] = "lead.police@example.org"
    sent["Subject"] = "Audit AUD-TLS00001: a return is due"
    sent.set_content("A return is due.")
    return sent


def smtp(port: int, tls: TlsMode, ca_file: Path | None) -> SmtpMailer:
    return SmtpMailer(
        host=LOOPBACK,
        port=port,
        timeout=10,
        tls=tls,
        username=USER,
        password=PASSWORD,
        ca_file=ca_file,
    )


def test_the_mailer_never_sends_a_login_over_a_plain_connection() -> None:
    # This server would take AUTH in clear (aiosmtpd refuses it by default; a careless relay
    # does not): the refusal has to be the mailer's own.
    refusal = "set OSCP_SMTP_TLS to starttls or implicit"
    with relay_server(auth_require_tls=False) as relay, pytest.raises(LoginNeedsTls, match=refusal):
        smtp(relay.port, "none", None).send(message())
    assert relay.logins == []
    assert relay.received == []


def test_starttls_encrypts_before_the_login_and_delivers(certificate: Certificate) -> None:
    with relay_server(tls_context=certificate.server_context(), require_starttls=True) as relay:
        smtp(relay.port, "starttls", certificate.cert).send(message())
    assert relay.logins == [(USER, True)]
    assert [m["Subject"] for m in relay.received] == ["Audit AUD-TLS00001: a return is due"]


def test_implicit_tls_encrypts_from_the_first_byte_and_delivers(certificate: Certificate) -> None:
    # aiosmtpd offers AUTH on an implicit-TLS listener only when told TLS is not required of
    # it: it tracks STARTTLS, not the listener. The relay checks the encryption itself.
    with relay_server(ssl_context=certificate.server_context(), auth_require_tls=False) as relay:
        smtp(relay.port, "implicit", certificate.cert).send(message())
    assert relay.logins == [(USER, True)]
    assert len(relay.received) == 1


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_an_untrusted_certificate_stops_the_message_before_the_login(
    certificate: Certificate, tls: TlsMode
) -> None:
    server: dict[str, Any] = (
        {"tls_context": certificate.server_context(), "require_starttls": True}
        if tls == "starttls"
        else {"ssl_context": certificate.server_context(), "auth_require_tls": False}
    )
    # No CA file: the system's authorities do not know this certificate.
    with relay_server(**server) as relay, pytest.raises(DeliveryDeferred) as failure:
        smtp(relay.port, tls, None).send(message())
    assert failure.value.server_down
    assert relay.logins == [] and relay.received == []


def test_starttls_is_never_dropped_for_a_server_that_does_not_offer_it() -> None:
    refused = pytest.raises(DeliveryDeferred, match="SMTPNotSupportedError")
    with relay_server(auth_require_tls=False) as relay, refused:
        smtp(relay.port, "starttls", None).send(message())
    assert relay.logins == [] and relay.received == []


def test_settings_refuse_a_login_without_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSCP_SMTP_USERNAME", USER)
    monkeypatch.setenv("OSCP_SMTP_PASSWORD", PASSWORD)
    with pytest.raises(SettingsInvalid) as refused:
        load(Settings)
    sentence = str(refused.value)
    assert "OSCP_SMTP_USERNAME is set without TLS" in sentence
    assert "set OSCP_SMTP_TLS to starttls or implicit" in sentence
    assert PASSWORD not in sentence


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("OSCP_SMTP_TLS", "ssl", "OSCP_SMTP_TLS: input should be 'none', 'starttls' or 'implicit'"),
        ("OSCP_SMTP_CA_FILE", "/nowhere/relay.pem", "OSCP_SMTP_CA_FILE: path does not point"),
    ],
)
def test_a_tls_setting_that_cannot_work_is_refused_at_start_up(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsInvalid, match=re.escape(says)):
        load(Settings)


def test_the_older_starttls_switch_still_means_starttls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSCP_SMTP_STARTTLS", "true")
    monkeypatch.setenv("OSCP_SMTP_USERNAME", USER)
    settings = load(Settings)
    assert settings.smtp_tls == "starttls"
    assert mailer(settings).tls == "starttls"


def test_implicit_tls_and_a_ca_file_reach_the_mailer(
    monkeypatch: pytest.MonkeyPatch, certificate: Certificate
) -> None:
    monkeypatch.setenv("OSCP_SMTP_TLS", "implicit")
    monkeypatch.setenv("OSCP_SMTP_CA_FILE", str(certificate.cert))
    built = mailer(load(Settings))
    assert (built.tls, built.ca_file) == ("implicit", certificate.cert)


def test_a_command_started_with_a_login_but_no_tls_stops_with_one_sentence(
    tmp_path: Path,
) -> None:
    login = {"OSCP_SMTP_USERNAME": USER, "OSCP_SMTP_PASSWORD": PASSWORD, "COLUMNS": "500"}
    result = oscp(tmp_path, "worker", "--once", **login)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "OSCP_SMTP_USERNAME is set without TLS" in lines[0]
    assert PASSWORD not in result.stderr
    assert not (tmp_path / "oscp.db").exists()  # refused before any work
