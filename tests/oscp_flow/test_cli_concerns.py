"""``oscp audit concern`` says who is told (issue 16, item 8), in-process on the test's
database (SQLite and PostgreSQL): the agency's strategic lead with a link, or, without one,
its agency leads and the coordinators; an agency nobody can be told of is refused in one
sentence saying what to do, unless a coordinator confirms why."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner, Result

from oscp_flow.cli import app
from states.services import queries
from states.services.deps import Deps
from tests.support.driver import drive
from tests.support.partnership import email, person_name

CONCERN = "A strategy discussion did not happen for case C01"


def invoke(*args: str, actor: str) -> Result:
    return CliRunner().invoke(
        app, [*args, "--as", actor], env={"COLUMNS": "250"}, catch_exceptions=False
    )


@pytest.fixture
def cli(partnership: Deps, monkeypatch: pytest.MonkeyPatch) -> Deps:
    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: partnership)
    return partnership


def test_raising_says_who_is_told(cli: Deps) -> None:
    ref = drive(cli, "mace", "returns_open").reference
    raised = invoke(
        "audit", "concern", ref, "--agency", "police", "--concern", CONCERN, actor=email("chair")
    )
    assert raised.exit_code == 0, raised.stderr
    said = raised.stdout
    assert "Concern 1 raised with Northvale Police (police); assurance is due by" in said
    assert (
        f"Told: {person_name('lsp.police')}, strategic lead at Northvale Police, with a link to "
        "read the concern and respond." in said
    )
    assert f"Told: {person_name('chair')}, the audit's chair, by e-mail." in said
    assert CONCERN not in said

    fallback = invoke(
        "audit", "concern", ref, "--agency", "csc", "--concern", CONCERN, actor=email("chair")
    )
    assert fallback.exit_code == 0, fallback.stderr
    assert f"Told: {person_name('lead.csc')}, agency lead at Northvale Children" in fallback.stdout
    assert f"Told: {person_name('coordinator')}, coordinator, by e-mail." in fallback.stdout


def test_an_agency_nobody_can_be_told_of_needs_the_coordinator(cli: Deps) -> None:
    ref = drive(cli, "mace", "returns_open").reference
    concern = ("audit", "concern", ref, "--agency", "housing", "--concern", CONCERN)
    refused = invoke(*concern, actor=email("chair"))
    assert refused.exit_code == 1
    assert "Nobody at Northvale Homes can be told of a concern" in refused.stderr
    assert "--confirm-no-recipient" in refused.stderr
    confirm = ("--confirm-no-recipient", "Housing officer told by phone")
    assert invoke(*concern, *confirm, actor=email("chair")).exit_code == 4
    confirmed = invoke(*concern, *confirm, actor=email("coordinator"))
    assert confirmed.exit_code == 0, confirmed.stderr
    assert "Nobody at Northvale Homes can be told" in confirmed.stdout
    last = queries.history(cli, audit=ref)[-1]
    assert last.trigger == "raise_immediate_risk"
    assert (last.reason or "").endswith(
        "confirmed by the coordinator: Housing officer told by phone"
    )
