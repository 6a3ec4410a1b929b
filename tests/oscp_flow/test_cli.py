"""The ``oscp`` command as a person uses it, against a real SQLite file: in this process, but
for what ``--help`` imports, which only a fresh process can show."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support.cli import oscp
from tests.support.terms import TERMS, terms_options


def test_help_imports_neither_prefect_nor_the_engine() -> None:
    # A real process: this test's own has long imported everything.
    probe = (
        "import sys\nfrom typer.testing import CliRunner\nfrom oscp_flow.cli import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        "heavy = ('prefect', 'sqlalchemy', 'states.services.audits')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"


def test_validate_shipped_definitions(tmp_path: Path) -> None:
    result = oscp(tmp_path, "definitions", "validate")
    assert result.exit_code == 0, result.stderr
    assert "11 audit type definition(s) valid." in result.stdout
    assert "11 audit tool(s) valid." in result.stdout
    assert "Nothing was stored." in result.stdout
    assert not (tmp_path / "oscp.db").exists()


def test_validate_reports_a_broken_file_in_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "mace.yaml"
    broken.write_text(
        (ROOT / "definitions/audit_types/mace.yaml")
        .read_text()
        .replace("dest: moderation", "dest: moderaton")
    )
    result = oscp(tmp_path, "definitions", "validate", str(broken))
    assert result.exit_code == 1
    assert (
        "mace.yaml, line" in result.stderr
        and "destination state 'moderaton' is not declared" in result.stderr
    )


def test_validate_a_tool_file_and_a_tool_folder(tmp_path: Path) -> None:
    one = oscp(tmp_path, "definitions", "validate", "definitions/tools/mace_case_file.yaml")
    assert one.exit_code == 0 and "1 audit tool(s) valid." in one.stdout
    folder = oscp(tmp_path, "definitions", "validate", "definitions/tools")
    assert folder.exit_code == 0 and "11 audit tool(s) valid." in folder.stdout
    broken = tmp_path / "mace_case_file.yaml"
    broken.write_text(
        (ROOT / "definitions/tools/mace_case_file.yaml")
        .read_text()
        .replace("type: rating", "type: stars", 1)
    )
    bad = oscp(tmp_path, "definitions", "validate", str(broken))
    assert bad.exit_code == 1 and "mace_case_file.yaml, line" in bad.stderr


def test_diagram(tmp_path: Path) -> None:
    result = oscp(tmp_path, "definitions", "diagram", "section_175")
    assert result.exit_code == 0 and "stateDiagram-v2" in result.stdout
    dot = oscp(tmp_path, "definitions", "diagram", "mace", "--format", "dot")
    assert dot.stdout.startswith("digraph")


@pytest.mark.slow
def test_a_coordinator_runs_an_audit_from_the_command_line(tmp_path: Path) -> None:
    assert oscp(tmp_path, "demo").exit_code == 0
    coordinator = "coordinator@example.org"
    started = oscp(
        tmp_path,
        "audit",
        "start",
        "mace",
        "--theme",
        "Domestic abuse",
        "--lead",
        "chair@example.org",
        "--agency",
        "police",
        "--agency",
        "csc",
        actor=coordinator,
    )
    assert started.exit_code == 0, started.stderr
    reference = started.stdout.split()[1]

    recorded = oscp(
        tmp_path, "audit", "terms", reference, *terms_options(), actor="chair@example.org"
    )
    assert recorded.exit_code == 0, recorded.stderr
    fired = oscp(
        tmp_path,
        "audit",
        "fire",
        reference,
        "agree_terms_of_reference",
        "--as",
        "chair@example.org",
    )
    assert "now terms_of_reference_agreed (version 3)" in fired.stdout

    blocked = oscp(tmp_path, "audit", "fire", reference, "select_sample", actor=coordinator)
    assert blocked.exit_code == 1
    assert "cases_within_window: no cases have been sampled yet" in blocked.stderr

    wrong = oscp(tmp_path, "audit", "fire", reference, "sign_off", actor=coordinator)
    assert wrong.exit_code == 1 and "'sign_off' is not allowed" in wrong.stderr

    stale = oscp(
        tmp_path,
        "audit",
        "fire",
        reference,
        "withdraw",
        "--reason",
        "Duplicate",
        "--expect-version",
        "1",
        actor=coordinator,
    )
    assert stale.exit_code == 1 and "changed by someone else" in stale.stderr

    show = oscp(tmp_path, "audit", "show", reference, actor=coordinator)
    assert "Terms of reference agreed" in show.stdout and "select_sample" in show.stdout
    assert TERMS["scope"] in show.stdout and "Sample rationale" in show.stdout
    history = oscp(tmp_path, "audit", "history", reference)
    assert "agree_terms_of_reference" in history.stdout and "Sam Greenfield" in history.stdout
    listed = oscp(tmp_path, "audit", "list", "--type", "mace")
    assert reference in listed.stdout and "2 audits." in listed.stdout

    missing = oscp(tmp_path, "audit", "show", "AUD-NOPE", actor=coordinator)
    assert missing.exit_code == 1 and "No audit 'AUD-NOPE' was found" in missing.stderr
    unknown = oscp(
        tmp_path,
        "audit",
        "start",
        "mase",
        "--theme",
        "x",
        "--lead",
        "chair@example.org",
        actor=coordinator,
    )
    assert "There is no audit type called 'mase'" in unknown.stderr


def test_an_unreachable_database_is_one_plain_sentence(tmp_path: Path) -> None:
    nowhere = "postgresql://postgres@127.0.0.1:9/nowhere"
    result = oscp(tmp_path, "audit", "list", OSCP_DATABASE_URL=nowhere)
    assert result.exit_code == 1
    assert "Nothing is listening at 127.0.0.1:9; start the database" in result.stderr
    assert "check OSCP_DATABASE_URL" in result.stderr


@pytest.mark.slow
def test_a_chair_samples_cases_and_escalates_from_the_command_line(tmp_path: Path) -> None:
    assert oscp(tmp_path, "demo").exit_code == 0
    chair, coordinator = "chair@example.org", "coordinator@example.org"
    started = oscp(
        tmp_path,
        "audit",
        "start",
        "mace",
        "--theme",
        "Exploitation",
        "--lead",
        chair,
        "--agency",
        "police",
        actor=coordinator,
    )
    reference = started.stdout.split()[1]
    oscp(tmp_path, "audit", "terms", reference, *terms_options(), actor=chair)
    oscp(tmp_path, "audit", "fire", reference, "agree_terms_of_reference", actor=chair)
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "reference,agencies,first_intervention_on,last_intervention_on\n"
        + "".join(f"EX-{n:03d},police;csc,2025-06-01,2026-01-{n:02d}\n" for n in range(1, 11))
    )
    sampled = oscp(
        tmp_path,
        "audit",
        "sample",
        reference,
        str(cases),
        "--method",
        "random",
        "--size",
        "4",
        "--seed",
        "9",
        actor=chair,
    )
    assert sampled.exit_code == 0, sampled.stderr
    assert "Sampled 4 case(s) with seed 9" in sampled.stdout
    assert (
        "now sample_selected"
        in oscp(tmp_path, "audit", "fire", reference, "select_sample", actor=chair).stdout
    )

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "reference,agencies,first_intervention_on,last_intervention_on\nEX-900,police,01/02/2026,\n"
    )
    refused = oscp(tmp_path, "audit", "sample", reference, str(bad), actor=chair)
    assert (
        refused.exit_code == 1 and "bad.csv, line 2: dates are written YYYY-MM-DD" in refused.stderr
    )

    raised = oscp(
        tmp_path,
        "audit",
        "concern",
        reference,
        "--agency",
        "police",
        "--concern",
        "Strategy discussion not held",
        actor=chair,
    )
    assert raised.exit_code == 0 and "assurance is due by" in raised.stdout
    number = raised.stdout.split()[1]
    shown = oscp(tmp_path, "audit", "show", reference, actor=chair)
    assert "awaiting assurance" in shown.stdout and "Strategy discussion" not in shown.stdout
    assured = oscp(
        tmp_path,
        "audit",
        "assure",
        reference,
        number,
        "--assurance",
        "Held on 3 March",
        actor=chair,
    )
    assert assured.exit_code == 0, assured.stderr
    early = oscp(tmp_path, "audit", "moderate", reference, "1", actor=chair)
    assert early.exit_code == 1 and "is not at moderation" in early.stderr
