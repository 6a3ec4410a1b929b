"""``oscp return resend`` and ``oscp audit extend`` (issue 17 item 3): the returns tracker's
two actions by command, each as the person who would type it, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import CliRunner, Result

from oscp_flow.cli import app
from states.clock import LONDON
from states.services import queries
from states.services.deps import Deps
from tests.support.driver import drive
from tests.support.partnership import email

COORDINATOR = email("coordinator")


def invoke(*args: str, actor: str = COORDINATOR) -> Result:
    return CliRunner().invoke(
        app, [*args, "--as", actor], env={"COLUMNS": "250"}, catch_exceptions=False
    )


@pytest.fixture
def cli(partnership: Deps, monkeypatch: pytest.MonkeyPatch) -> Deps:
    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: partnership)
    return partnership


def test_a_return_link_is_sent_again_by_command(cli: Deps) -> None:
    ref = drive(cli, "section_11", "returns_open").reference
    refused = invoke("return", "resend", ref, "police", actor=email("lhm"))
    assert refused.exit_code == 4, refused.stderr
    sent = invoke("return", "resend", ref, "police", actor=email("chair"))
    assert sent.exit_code == 0, sent.stderr
    assert "a fresh link to the police return goes to its audit lead" in sent.stdout
    assert queries.history(cli, audit=ref)[-1].trigger == "resend_return_link"
    unknown = invoke("return", "resend", ref, "housing")
    assert unknown.exit_code != 0 and "housing" in unknown.stderr


def test_the_deadline_is_extended_by_command(cli: Deps) -> None:
    ref = drive(cli, "section_11", "returns_open").reference
    before = queries.audit_status(cli, audit=ref, as_person=COORDINATOR).deadlines[-1].due_at
    later = (before.astimezone(LONDON) + timedelta(days=14)).date()
    moved = invoke("audit", "extend", ref, "--until", later.isoformat(), "--reason", "Half term")
    assert moved.exit_code == 0, moved.stderr
    assert f"close of business on {later.day} " in moved.stdout
    after = queries.audit_status(cli, audit=ref, as_person=COORDINATOR).deadlines[-1].due_at
    assert after.astimezone(LONDON).date() == later
    refused = invoke(
        "audit", "extend", ref, "--until", later.isoformat(), "--reason", "x", actor=email("chair")
    )
    assert refused.exit_code == 4, refused.stderr
    bad = invoke("audit", "extend", ref, "--until", "next week", "--reason", "x")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.stderr
