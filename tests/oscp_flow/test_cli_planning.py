"""Planning an audit from the command line (issue 15, items 1, 3, 5 and 6), in-process on the
test's database (SQLite and PostgreSQL): ``oscp audit terms``, ``oscp audit sample`` (draw,
``--replace``, ``remove``), ``oscp audit auditors assign|list|declare`` and ``oscp return
reopen``, each as the person who would type it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from oscp_flow.cli import app
from states.services import audits, returns
from states.services.deps import Deps
from tests.support.driver import complete_answers, drive
from tests.support.partnership import email, person_name
from tests.support.terms import TERMS, terms_options

COORDINATOR, CHAIR = email("coordinator"), email("chair")
ONE, TWO = email("auditor.one"), email("auditor.two")
CSV_HEADER = "reference,agencies,first_intervention_on,last_intervention_on\n"


def invoke(*args: str, actor: str | None = COORDINATOR) -> Result:
    acting = [] if actor is None else ["--as", actor]
    return CliRunner().invoke(app, [*args, *acting], env={"COLUMNS": "250"}, catch_exceptions=False)


@pytest.fixture
def cli(partnership: Deps, monkeypatch: pytest.MonkeyPatch) -> Deps:
    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: partnership)
    return partnership


def _cases(folder: Path, name: str, rows: list[str]) -> str:
    path = folder / name
    path.write_text(CSV_HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return str(path)


def test_terms_sample_and_auditors_by_command(cli: Deps, tmp_path: Path) -> None:
    ref = audits.start_audit(
        cli, audit_type="mace", theme="Neglect", lead=CHAIR, actor=COORDINATOR
    ).reference
    partial = invoke("audit", "terms", ref, "--scope", "Neglect", actor=CHAIR)
    assert partial.exit_code == 1 and "still to give: time window" in partial.stderr
    recorded = invoke("audit", "terms", ref, *terms_options(), actor=CHAIR)
    assert recorded.exit_code == 0, recorded.stderr
    assert f"Terms of reference recorded on {ref}" in recorded.stdout
    shown = invoke("audit", "show", ref)
    assert TERMS["sample_rationale"] in shown.stdout and person_name("chair") in shown.stdout
    assert invoke("audit", "fire", ref, "agree_terms_of_reference", actor=CHAIR).exit_code == 0

    offered = _cases(
        tmp_path,
        "cases.csv",
        ["NV-001,police;csc,,2026-01-05", "NV-002,police,,2026-02-01", "NV-900,csc,,2024-05-01"],
    )
    drawn = invoke("audit", "sample", ref, offered, "--method", "random", "--size", "3")
    assert drawn.exit_code == 0, drawn.stderr
    assert "Passed over 1 case(s)" in drawn.stdout and "Sampled 2 case(s)" in drawn.stdout
    again = invoke("audit", "sample", ref, offered, "--method", "random", "--size", "3")
    assert again.exit_code == 1 and "replace the whole sample" in again.stderr
    replacement = _cases(
        tmp_path,
        "new.csv",
        ["NV-003,police;csc,,2026-01-20"] + [f"NV-01{n},police,,2026-02-0{n}" for n in (1, 2)],
    )
    chair_replaces = invoke(
        "audit", "sample", ref, replacement, "--replace", "--reason", "Stale list", actor=CHAIR
    )
    assert chair_replaces.exit_code == 4, chair_replaces.stderr
    replaced = invoke("audit", "sample", ref, replacement, "--replace", "--reason", "Stale list")
    assert replaced.exit_code == 0, replaced.stderr
    assert "Took out the 2 case(s)" in replaced.stdout and "Sampled 3 case(s)" in replaced.stdout
    removed = invoke("audit", "sample", "remove", ref, "NV-012", "--reason", "Moved away")
    assert removed.exit_code == 0 and "Took case NV-012 out" in removed.stdout
    history = invoke("audit", "history", ref, actor=None)
    assert "replace_sample" in history.stdout and "Moved away" in history.stdout
    assert invoke("audit", "fire", ref, "select_sample", actor=CHAIR).exit_code == 0

    for case, auditor in (("NV-003", ONE), ("NV-011", TWO)):
        assigned = invoke("audit", "auditors", "assign", ref, case, auditor)
        assert assigned.exit_code == 0, assigned.stderr
    listed = invoke("audit", "auditors", "list", ref, actor=None)
    assert listed.stdout.count("declaration awaited") == 2 and "auditor pool" in listed.stdout
    other = invoke("audit", "auditors", "declare", ref, "NV-003", "none", actor=TWO)
    assert other.exit_code == 4 and "Only the auditor assigned to case NV-003" in other.stderr
    blocked = invoke("audit", "fire", ref, "confirm_auditors", actor=CHAIR)
    assert blocked.exit_code == 1 and "still to declare any involvement" in blocked.stderr
    for case, auditor in (("NV-003", ONE), ("NV-011", TWO)):
        said = invoke("audit", "auditors", "declare", ref, case, "none", actor=auditor)
        assert said.exit_code == 0 and f"Declared no involvement in case {case}" in said.stdout
    assert invoke("audit", "fire", ref, "confirm_auditors", actor=CHAIR).exit_code == 0
    assert invoke("audit", "auditors", "list", ref, actor=None).stdout.count("no involvement") == 2


def test_an_auditor_declaring_involvement_leaves_the_case(cli: Deps) -> None:
    driver = drive(cli, "mace", "sample_selected")
    ref, case = driver.reference, driver.cases[0]
    assert invoke("audit", "auditors", "assign", ref, case, ONE).exit_code == 0
    said = invoke("audit", "auditors", "declare", ref, case, "practice", actor=ONE)
    assert said.exit_code == 0 and "you no longer audit it" in said.stdout
    listed = invoke("audit", "auditors", "list", ref, actor=None)
    assert "barred: involved in its practice" in listed.stdout
    refused = invoke("audit", "auditors", "assign", ref, case, ONE)
    assert refused.exit_code == 1 and "declared involvement in case" in refused.stderr


def test_the_coordinator_reopens_a_return_by_command(cli: Deps) -> None:
    ref = drive(cli, "section_11", "returns_open").reference
    tool = cli.catalogue.tool("section_11")
    assert tool is not None
    lead = email("lead.police")
    returns.submit(cli, audit=ref, actor=lead, agency="police", answers=complete_answers(tool))
    refused = invoke("return", "reopen", ref, "police", "--reason", "Typo", actor=lead)
    assert refused.exit_code == 4, refused.stderr
    reopened = invoke("return", "reopen", ref, "police", "--reason", "Wrong year's evidence")
    assert reopened.exit_code == 0, reopened.stderr
    assert "is a draft again; a fresh link" in reopened.stdout
    assert "Wrong year's evidence" in invoke("audit", "history", ref, actor=None).stdout
