"""``oscp mail ...`` and ``oscp outbox ...``: the capture as a real process, the outbox commands
in-process on the test's database and fake clock (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from notifications.relay import RelayResult, relay
from oscp_flow.cli import app
from states.persistence import tables as t
from states.services.deps import Deps
from tests.conftest import ROOT
from tests.support.cli import OSCP, on_database, oscp_in, oscp_with
from tests.support.partnership import email, person_name
from tests.support.ports import AddressInUse, refused_port, retry_in_use
from tests.support.relay import CONFIG, raise_concern
from tests.support.smtp import Recorder, mailer, smtp_server


def _mail_serve(settings: dict[str, str]) -> tuple[dict[str, str], subprocess.Popen[str]]:
    """``oscp mail serve`` started and listening: its first line says so. It can only be told
    a port number, so one taken meanwhile (it exits, refusing) is ``AddressInUse``."""
    # A real process: the capture serves until it is sent a signal, as Ctrl-C does.
    env = {**os.environ, **settings}
    serve = subprocess.Popen(
        [*OSCP, "mail", "serve"], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    assert serve.stdout is not None
    first = serve.stdout.readline()
    if not first and serve.wait(timeout=30) == 1:
        raise AddressInUse
    assert first.startswith("Capturing mail on 127.0.0.1:"), first
    return settings, serve


def test_mail_serve_captures_what_outbox_send_sends(partnership: Deps, tmp_path: Path) -> None:
    reference = raise_concern(partnership)
    env, serve = retry_in_use(lambda port: _mail_serve(on_database(partnership, tmp_path, port)))
    try:
        # A second capture in a process of its own too: were it to start, it would serve on.
        taken = oscp_in({**os.environ, **env}, "mail", "serve")
        assert taken.returncode == 1 and "cannot listen on 127.0.0.1" in taken.stderr
        assert "Traceback" not in taken.stderr

        sent = oscp_with(env, "outbox", "send")
        assert sent.exit_code == 0, sent.stderr
        assert "Sent 2, deferred 0, failed 0." in sent.stdout
        listed = oscp_with(env, "mail", "list")
        assert "2 message(s)." in listed.stdout and reference in listed.stdout
        shown = oscp_with(env, "mail", "show", "1")
        assert shown.exit_code == 0, shown.stderr
        assert "Message-ID: <oscp." in shown.stdout
        # Sent on the real clock, long after this audit's (fake) assurance date: a link that
        # would already have expired is not minted, so the message to the police's strategic
        # lead says it has no link, rather than pointing at a page they cannot open.
        assert f"To: {person_name('lsp.police')}" in shown.stdout
        assert "This e-mail has no link because" in shown.stdout
        assert "/audits/" not in shown.stdout and "/act/" not in shown.stdout
        missing = oscp_with(env, "mail", "show", "3")
        assert missing.exit_code == 1 and "No captured message '3'" in missing.stderr
    finally:
        serve.send_signal(signal.SIGINT)
        rest, _ = serve.communicate(timeout=30)
    assert serve.returncode == 0 and "Mail capture stopped." in rest


def invoke(*args: str, port: int = 1) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "OSCP_SMTP_PORT": str(port)})


def test_a_refused_message_is_listed_as_failed_and_can_be_retried(
    partnership: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    deps = partnership
    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: deps)
    reference = raise_concern(deps)
    server = Recorder()
    server.answers[email("chair")] = "550 5.1.1 Recipient address rejected"
    with smtp_server(server) as port:
        assert relay(deps, mailer(port), config=CONFIG) == RelayResult(sent=1, failed=1)
        with deps.uow(readonly=True) as uow:
            failed_id = uow.connection.execute(
                select(t.outbox.c.id).where(t.outbox.c.failed_at.is_not(None))
            ).scalar_one()

        failed = invoke("outbox", "list", "--failed")
        assert failed.exit_code == 0, failed.stderr
        row = next(line for line in failed.stdout.splitlines() if email("chair") in line)
        for shown in (
            str(failed_id),
            "immediate_risk_raised",
            reference,
            "SMTPRecipientsRefused 550",
        ):
            assert shown in row
        assert "1 message(s) failed." in failed.stdout
        # Who and how, never what: the text is rendered only when sent.
        assert "needs a response" not in failed.stdout
        assert "0 message(s) waiting." in invoke("outbox", "list").stdout

        retried = invoke("outbox", "retry", str(failed_id))
        assert retried.exit_code == 0, retried.stderr
        assert f"Message {failed_id} will be sent at the next round." in retried.stdout
        assert "0 message(s) failed." in invoke("outbox", "list", "--failed").stdout
        assert "1 message(s) waiting." in invoke("outbox", "list").stdout

        del server.answers[email("chair")]
        sent = invoke("outbox", "send", port=port)
        assert sent.exit_code == 0, sent.stderr
        assert "Sent 1, deferred 0, failed 0." in sent.stdout
    assert [e for (e,) in server.envelopes] == [email("lsp.police"), email("chair")]

    again = invoke("outbox", "retry", str(failed_id))
    assert again.exit_code == 1 and "was already sent; nothing to retry." in again.stderr
    unknown = invoke("outbox", "retry", "9999")
    assert unknown.exit_code == 1 and "No outbox message '9999' was found" in unknown.stderr
    assert "Traceback" not in again.stderr + unknown.stderr


def test_send_with_the_server_down_defers_and_says_so(
    partnership: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: partnership)
    raise_concern(partnership)
    result = invoke("outbox", "send", port=refused_port())
    assert result.exit_code == 0, result.stderr
    assert "Sent 0, deferred 2, failed 0." in result.stdout
    waiting = invoke("outbox", "list").stdout
    assert "2 message(s) waiting." in waiting
    assert "DeliveryDeferred: ConnectionRefusedError" in waiting
