"""The local mail capture: what the relay sends to it lands in OSCP_HOME/mail, readable."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from notifications.capture import LOOPBACK, captured, mail_dir, read_captured, start_capture
from notifications.relay import RelayResult, relay
from states.errors import NotFound
from states.services.deps import Deps
from tests.support.ports import retry_in_use
from tests.support.relay import CONFIG, raise_concern
from tests.support.smtp import mailer


def test_relayed_mail_is_captured_in_a_maildir(partnership: Deps, tmp_path: Path) -> None:
    reference = raise_concern(partnership)
    # The capture can only be told a port number: taken meanwhile, it is tried on another.
    controller = retry_in_use(lambda port: start_capture(tmp_path, port=port))
    port = controller.port
    try:
        assert controller.hostname == LOOPBACK
        assert relay(partnership, mailer(port), config=CONFIG) == RelayResult(sent=2)
    finally:
        controller.stop()

    assert len(mailbox.Maildir(mail_dir(tmp_path), create=False)) == 2
    listed = captured(tmp_path)
    assert [m.number for m in listed] == [1, 2]
    assert sorted(m.recipient.split("<")[-1].rstrip(">") for m in listed) == [
        "chair@example.org",
        "lsp.police@example.org",
    ]
    assert all(reference in m.subject and m.date is not None for m in listed)
    first = read_captured(tmp_path, 1)
    assert first["Subject"] == listed[0].subject
    assert first["Message-ID"].endswith("@oscp.example.org>")
    body = first.get_body(preferencelist=("plain",))
    link = "/act/" if "lsp.police" in str(first["To"]) else f"/audits/{reference}"
    assert body is not None and link in body.get_content()


def test_reading_what_is_not_there(tmp_path: Path) -> None:
    assert captured(tmp_path) == []
    with pytest.raises(NotFound, match="No captured message '1'"):
        read_captured(tmp_path, 1)
