"""``oscp report ...`` in-process on the test's database (SQLite and PostgreSQL): write the
narrative, render the draft, submit it (refused with a section empty; then frozen), make the
products, record dissemination."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from oscp_flow.cli import app
from states.services.deps import Deps
from tests.support.driver import drive
from tests.support.partnership import email
from tests.support.reporting import NARRATIVE, s175_with_letters


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})


@pytest.fixture
def cli(partnership: Deps, monkeypatch: pytest.MonkeyPatch) -> Deps:
    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: partnership)
    return partnership


@pytest.mark.slow
def test_draft_render_freeze_products_and_disseminate(cli: Deps, tmp_path: Path) -> None:
    driver = drive(cli, "mace", "report_drafting")
    ref = driver.reference
    chair = ("--as", email("chair"))
    for section, text in NARRATIVE.items():
        if section == "reflection":
            continue
        done = invoke("report", "draft", ref, "--section", section, "--text", text, *chair)
        assert done.exit_code == 0, done.stderr
        assert f"Saved '{section}'" in done.stdout
    draft = tmp_path / "draft.html"
    assert invoke("report", "render", ref, "--html", str(draft)).exit_code == 0
    assert "Draft: not yet frozen" in draft.read_text(encoding="utf-8")
    early = invoke("report", "freeze", ref, *chair)
    assert early.exit_code == 1 and "frozen when it is submitted for sign-off" in early.stderr
    unwritten = invoke("audit", "fire", ref, "submit_for_sign_off", *chair)
    assert unwritten.exit_code == 1
    assert "no text yet for reflection on the process of the audit" in unwritten.stderr

    reflection = tmp_path / "reflection.txt"
    reflection.write_text(NARRATIVE["reflection"], encoding="utf-8")
    done = invoke(
        "report", "draft", ref, "--section", "reflection", "--file", str(reflection), *chair
    )
    assert done.exit_code == 0, done.stderr
    submitted = invoke("audit", "fire", ref, "submit_for_sign_off", *chair)
    assert submitted.exit_code == 0, submitted.stderr
    frozen = invoke("report", "freeze", ref, *chair)
    assert frozen.exit_code == 0, frozen.stderr
    assert (
        f"Version 1 of {ref}'s summary report is already frozen (submitting it for sign-off "
        "froze it); sha256 "
    ) in frozen.stdout
    late = invoke("report", "draft", ref, "--section", "reflection", "--text", "x", *chair)
    assert late.exit_code == 1 and "has gone for sign-off" in late.stderr
    pdf = tmp_path / "summary.pdf"
    assert invoke("report", "render", ref, "--pdf", str(pdf)).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")

    driver.advance("dissemination")
    coordinator = ("--as", email("coordinator"))
    made = invoke("report", "products", ref, "--out", str(tmp_path / "out"), *coordinator)
    assert made.exit_code == 0, made.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        f"{ref}-briefing-v1.docx",
        f"{ref}-briefing-v1.html",
        f"{ref}-briefing-v1.pdf",
        f"{ref}-learning-on-a-page-v1.docx",
        f"{ref}-learning-on-a-page-v1.html",
        f"{ref}-learning-on-a-page-v1.pdf",
    ]
    shared = invoke(
        "report",
        "disseminate",
        ref,
        "--kind",
        "briefing",
        "--audience",
        "OSCP website",
        "--channel",
        "website",
        *coordinator,
    )
    assert shared.exit_code == 0, shared.stderr
    listed = invoke("report", "list", ref)
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.count("frozen") == 3 and "NO" not in listed.stdout
    assert "OSCP website" in listed.stdout


@pytest.mark.slow
def test_send_letters_queues_each_settings_link_once(cli: Deps) -> None:
    reference = s175_with_letters(cli)
    refused = invoke("report", "send-letters", reference, "--as", email("lead.police"))
    assert refused.exit_code == 4 and "only the chair or coordinator" in refused.stderr
    sent = invoke("report", "send-letters", reference, "--as", email("coordinator"))
    assert sent.exit_code == 0, sent.stderr
    assert "2 letters queued for their settings" in sent.stdout
    again = invoke("report", "send-letters", reference, "--as", email("coordinator"))
    assert "Everything has been sent already" in again.stdout
