"""Issue 16, items 4 and 6 from the command line, in-process on the test's database (SQLite
and PostgreSQL): ``oscp audit show`` lists each sign-off decision (who, for which body, what,
when) with its comment for the chair and coordinators only; ``oscp audit history`` says
"Approved by NAME for BODY"; ``oscp programme show`` gives the day an entry was signed off."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner, Result

from oscp_flow.cli import app
from states.clock import LONDON
from states.rules.quarters import plain_day
from states.services import programme, work
from states.services.deps import Deps
from tests.conftest import ROOT
from tests.support.driver import Driver, drive
from tests.support.partnership import email, person_name

COORDINATOR = email("coordinator")
COMMENT = "Evidence how the recommendations will be resourced."


def invoke(*args: str, actor: str | None = COORDINATOR) -> Result:
    acting = [] if actor is None else ["--as", actor]
    return CliRunner().invoke(app, [*args, *acting], env={"COLUMNS": "250"}, catch_exceptions=False)


@pytest.fixture
def cli(partnership: Deps, monkeypatch: pytest.MonkeyPatch) -> Deps:
    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: partnership)
    return partnership


def test_audit_show_lists_each_decision_and_the_comment_to_organisers(cli: Deps) -> None:
    reference = drive(cli, "mace", "awaiting_sign_off").reference
    work.record_sign_off_decision(cli, audit=reference, actor=email("lhm"), decision="approve")
    work.record_sign_off_decision(
        cli, audit=reference, actor=email("lsp.health"), decision="refuse", comment=COMMENT
    )
    for organiser in (COORDINATOR, email("chair")):
        shown = invoke("audit", "show", reference, actor=organiser)
        assert shown.exit_code == 0, shown.stderr
        assert "Sign-off decisions" in shown.stdout
        table = shown.stdout[shown.stdout.index("Sign-off decisions") :]
        row = next(line for line in table.splitlines() if person_name("lsp.health") in line)
        assert "Northvale Safeguarding Partners" in row and "refused" in row and COMMENT in row
        assert "Northvale Learning Hub" in shown.stdout and "approved" in shown.stdout
    member = invoke("audit", "show", reference, actor=email("lsp.police"))
    assert person_name("lsp.health") in member.stdout and COMMENT not in member.stdout

    history = invoke("audit", "history", reference, actor=None)
    words = " ".join(history.stdout.split())
    assert f"Approved by {person_name('lhm')} for Northvale Learning Hub" in words
    assert f"Refused by {person_name('lsp.health')} for Northvale Safeguarding Partners" in words
    assert COMMENT not in history.stdout


def test_programme_show_gives_the_day_an_entry_was_signed_off(cli: Deps) -> None:
    programme.load_programme(cli, ROOT / "definitions" / "programme" / "oscp-2025-28.yaml")
    reference = programme.start_from_programme(
        cli, key="syv-mace", lead=email("chair"), actor=COORDINATOR
    ).reference
    Driver(cli, reference).advance("actions_agreed")
    today = cli.clock.now().astimezone(LONDON).date()
    shown = invoke("programme", "show", actor=None)
    assert shown.exit_code == 0, shown.stderr
    row = next(line for line in shown.stdout.splitlines() if "syv-mace" in line)
    assert f"signed off {plain_day(today)}" in row


def test_report_show_puts_the_refusals_beside_the_report_for_the_chair(cli: Deps) -> None:
    """The chair answering a refusal reads the report and the members' comments together."""
    reference = drive(cli, "mace", "awaiting_sign_off").reference
    work.record_sign_off_decision(
        cli, audit=reference, actor=email("lsp.health"), decision="refuse", comment=COMMENT
    )
    chair = invoke("report", "show", reference, actor=email("chair"))
    assert chair.exit_code == 0, chair.stderr
    words = " ".join(chair.stdout.split())
    assert "Working well" in words and "Reflection" in words
    assert "Refused in round 1" in words
    assert f"{person_name('lsp.health')}: {COMMENT}" in words
    member = invoke("report", "show", reference, actor=email("lsp.police"))
    assert COMMENT not in member.stdout and "comment not shown to you" in member.stdout
