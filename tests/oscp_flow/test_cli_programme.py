"""``oscp programme ...``: in-process on the test's database (SQLite and PostgreSQL), and once
as a person runs it, against a fresh SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from oscp_flow.cli import app
from oscp_flow.rehearsal.demo import email
from states.services.deps import Deps
from tests.conftest import ROOT
from tests.support.cli import oscp

LOADED = "OSCP audit programme 2025-28: 15 added, 0 updated, 0 unchanged."


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})


@pytest.fixture
def cli(partnership: Deps, monkeypatch: pytest.MonkeyPatch) -> Deps:
    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: partnership)
    return partnership


def test_load_show_and_start(cli: Deps) -> None:
    loaded = invoke("programme", "load")
    assert loaded.exit_code == 0, loaded.stderr
    assert LOADED in loaded.stdout
    again = invoke("programme", "load")
    assert "0 added, 0 updated, 15 unchanged." in again.stdout

    shown = invoke("programme", "show")
    assert shown.exit_code == 0, shown.stderr
    assert "15 programme entries." in shown.stdout
    row = next(line for line in shown.stdout.splitlines() if "sexual-abuse-mace" in line)
    for cell in ("Oct \u2013 Dec 25", "Dec 2025", "Sexual abuse MACE", "mace", "OSCP Multi Agency"):
        assert cell in row
    # Annual work is listed under its first due year, 2026.
    assert "5 programme entries." in invoke("programme", "show", "--year", "2026").stdout

    started = invoke(
        "programme",
        "start",
        "sexual-abuse-mace",
        "--lead",
        email("chair"),
        "--agency",
        "police",
        "--as",
        email("coordinator"),
    )
    assert started.exit_code == 0, started.stderr
    assert started.stdout.startswith("Started AUD-")
    reference = started.stdout.split()[1]
    assert "for sexual-abuse-mace in state planning." in started.stdout
    listed = invoke("programme", "show", "--year", "2025").stdout
    row = next(line for line in listed.splitlines() if "sexual-abuse-mace" in line)
    assert f"{reference} (planning)" in row

    twice = invoke(
        "programme",
        "start",
        "sexual-abuse-mace",
        "--lead",
        email("chair"),
        "--as",
        email("coordinator"),
    )
    assert twice.exit_code == 1
    assert f"Programme entry 'sexual-abuse-mace' already has audit {reference}" in twice.stderr
    assert "Traceback" not in twice.stderr


def test_link_and_its_refusals(cli: Deps) -> None:
    invoke("programme", "load")
    by_hand = ["--theme", "Domestic abuse", "--lead", email("chair"), "--as", email("coordinator")]
    started = invoke("audit", "start", "mace", *by_hand)
    reference = started.stdout.split()[1]
    linked = invoke("programme", "link", "domestic-abuse-mace", reference)
    assert (
        linked.exit_code == 0 and f"domestic-abuse-mace is linked to {reference}." in linked.stdout
    )
    unknown = invoke("programme", "link", "no-such-entry", reference)
    assert unknown.exit_code == 1 and "No programme entry 'no-such-entry'" in unknown.stderr


def test_a_broken_file_lists_every_problem_and_stores_nothing(cli: Deps, tmp_path: Path) -> None:
    source = (ROOT / "definitions/programme/oscp-2025-28.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "programme.yaml"
    broken.write_text(
        source.replace("audit_type: benchmarking", "audit_type: benchmark").replace(
            "key: syv-mace", "key: syv-benchmarking"
        ),
        encoding="utf-8",
    )
    result = invoke("programme", "load", str(broken))
    assert result.exit_code == 1
    assert "programme.yaml, line 16 at entries[0].audit_type" in result.stderr
    assert "key 'syv-benchmarking' is used twice" in result.stderr
    assert "Nothing was stored." in result.stderr
    assert "0 programme entries." in invoke("programme", "show").stdout


def test_as_a_person_runs_it(tmp_path: Path) -> None:
    """Without a test's database: the command makes its own SQLite file under OSCP_HOME."""
    loaded = oscp(tmp_path, "programme", "load")
    assert loaded.exit_code == 0, loaded.stderr
    assert LOADED in loaded.stdout
    shown = oscp(tmp_path, "programme", "show", "--year", "2024")
    assert shown.exit_code == 0, shown.stderr
    assert "syv-benchmarking" in shown.stdout and "1 programme entry." in shown.stdout
    assert (tmp_path / "oscp.db").is_file()
