"""A relay round's messages share SMTP connections, against a real server (aiosmtpd on loopback)
that counts the connections it accepts, on SQLite and PostgreSQL.

A round opens one connection for its batch (a new one after every ``per_connection``
messages), survives a server that hangs up between messages without losing or doubling one,
keeps going after a refused recipient, and leaves no connection open however it ends. What a
failure means for a message is the same as when each message had a connection of its own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from notifications.relay import RelayResult, relay
from notifications.smtp import LoginNeedsTls, SmtpMailer, TlsMode
from states.services.deps import Deps
from tests.support.partnership import email
from tests.support.ports import LOOPBACK
from tests.support.relay import CONFIG, expected_ids, outbox, raise_concern
from tests.support.smtp import Logins, Recorder, mailer, smtp_server
from tests.support.tls import self_signed

USER, PASSWORD = "relay-user", "correct horse battery staple"


def six_messages(deps: Deps) -> None:
    """Three concerns, each told to the chair and to the police's strategic lead."""
    for theme in ("One", "Two", "Three"):
        raise_concern(deps, theme)


def received_once(server: Recorder, deps: Deps) -> bool:
    ids = Counter(m["Message-ID"] for m in server.received)
    return set(ids) == expected_ids(deps) and set(ids.values()) == {1}


class HangsUp(Recorder):
    """Ends each connection after ``every`` messages, as many servers do: by answering the
    next MAIL with 421, or by closing the connection without a word."""

    def __init__(self, every: int, *, silently: bool) -> None:
        super().__init__()
        self.every, self.silently = every, silently
        self.carried: Counter[Any] = Counter()  # messages per connection, by its peer

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.carried[session.peer] >= self.every:
            if self.silently:
                server.transport.close()
            return "421 4.7.0 Too many messages on one connection, closing"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.carried[session.peer] += 1
        return await super().handle_DATA(server, session, envelope)


class DropsDuringData(Recorder):
    """Hangs up while the second message's data is in hand, before answering it."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if len(self.received) == 1:
            server.transport.close()
            return "451 4.3.0 Gone"
        return await super().handle_DATA(server, session, envelope)


def test_a_round_sends_its_messages_over_one_connection(partnership: Deps) -> None:
    six_messages(partnership)
    server = Recorder()
    with smtp_server(server) as port:
        assert relay(partnership, mailer(port), config=CONFIG) == RelayResult(sent=6)
        # A quiet round connects to nothing.
        assert relay(partnership, mailer(port), config=CONFIG) == RelayResult()
    assert (server.connections, server.quits) == (1, 1)
    assert received_once(server, partnership)


@pytest.mark.parametrize("silently", [False, True], ids=["421", "closed"])
def test_a_server_that_hangs_up_mid_round_gets_the_rest_over_a_new_connection(
    partnership: Deps, silently: bool
) -> None:
    six_messages(partnership)
    server = HangsUp(every=2, silently=silently)
    with smtp_server(server) as port:
        assert relay(partnership, mailer(port), config=CONFIG) == RelayResult(sent=6)
    assert server.connections == 3
    assert received_once(server, partnership)
    assert all(row.attempts == 0 and row.sent_at is not None for row in outbox(partnership))


def test_a_connection_lost_once_the_data_went_is_not_tried_again_at_once(
    partnership: Deps,
) -> None:
    """The server may have kept the message: as with a connection per message, it waits for
    a later round (under the same Message-ID) and so does the rest of the round."""
    six_messages(partnership)
    server = DropsDuringData()
    with smtp_server(server) as port:
        result = relay(partnership, mailer(port), config=CONFIG)
    assert result == RelayResult(sent=1, deferred=5)
    assert server.connections == 1 and len(server.received) == 1
    waiting = [row for row in outbox(partnership) if row.sent_at is None]
    assert [row.last_error for row in waiting[:1]] == ["DeliveryDeferred: SMTPServerDisconnected"]


def test_a_refused_recipient_does_not_stop_the_next_message(partnership: Deps) -> None:
    six_messages(partnership)
    server = Recorder()
    server.answers[email("chair")] = f"550 5.1.1 <{email('chair')}>: Recipient address rejected"
    with smtp_server(server) as port:
        assert relay(partnership, mailer(port), config=CONFIG) == RelayResult(sent=3, failed=3)
    assert (server.connections, server.quits) == (1, 1)
    assert server.envelopes == [(email("lsp.police"),)] * 3
    refused = [row for row in outbox(partnership) if row.sent_at is None]
    assert {row.last_error for row in refused} == {"DeliveryRefused: SMTPRecipientsRefused 550"}


@pytest.mark.parametrize(("cap", "connections"), [(2, 3), (4, 2), (1, 6)])
def test_a_connection_carries_at_most_its_cap_then_another_is_opened(
    partnership: Deps, cap: int, connections: int
) -> None:
    six_messages(partnership)
    server = Recorder()
    with smtp_server(server) as port:
        capped = replace(mailer(port), per_connection=cap)
        assert relay(partnership, capped, config=CONFIG) == RelayResult(sent=6)
    assert (server.connections, server.quits) == (connections, connections)
    assert received_once(server, partnership)


def message(number: int = 1) -> EmailMessage:
    sent = EmailMessage()
    sent["From"] = "learning-hub@oscp.example.org"
    sent["To"] = "lead.police@example.org"
    sent["Subject"] = f"Audit AUD-SES0000{number}: a return is due"
    sent.set_content("A return is due.")
    return sent


def test_the_connection_is_closed_however_the_session_ends() -> None:
    server = Recorder()
    with smtp_server(server) as port:
        with pytest.raises(RuntimeError), mailer(port).session() as session:
            session.send(message())
            raise RuntimeError("the round broke off")
        assert (server.connections, server.quits) == (1, 1)
        with mailer(port).session():
            pass
    assert server.connections == 1  # a session that sends nothing connects to nothing


def test_a_login_over_a_plain_connection_is_refused_for_every_message() -> None:
    """The refusal closes its connection, so the next message meets the same check on a new
    one rather than going out over a connection that was never made ready."""
    server = Recorder()
    with smtp_server(server) as port:
        plain = SmtpMailer(host=LOOPBACK, port=port, timeout=10, username=USER, password=PASSWORD)
        with plain.session() as session:
            for number in (1, 2):
                with pytest.raises(LoginNeedsTls):
                    session.send(message(number))
    assert (server.connections, server.quits, server.received) == (2, 2, [])


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_encryption_and_the_login_happen_once_per_connection(tmp_path: Path, tls: TlsMode) -> None:
    certificate = self_signed(tmp_path)
    server = Logins(PASSWORD)
    context = certificate.server_context()
    served: dict[str, Any] = (
        {"tls_context": context, "require_starttls": True}
        if tls == "starttls"
        else {"ssl_context": context, "auth_require_tls": False}
    )
    with smtp_server(server, authenticator=server.authenticate, **served) as port:
        sender = SmtpMailer(
            host=LOOPBACK,
            port=port,
            timeout=10,
            tls=tls,
            username=USER,
            password=PASSWORD,
            ca_file=certificate.cert,
            per_connection=2,
        )
        with sender.session() as session:
            for number in (1, 2, 3):
                session.send(message(number))
    assert server.logins == [(USER, True), (USER, True)]
    assert server.connections == 2 and len(server.received) == 3
