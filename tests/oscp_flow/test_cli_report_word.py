"""``oscp report render AUDIT --docx PATH`` and the Word files ``oscp report products``
writes beside the PDFs (issue 19), in-process on the test's database (SQLite and
PostgreSQL): the draft marked DRAFT with no hash, the frozen report with the hash ``oscp
report freeze`` prints, the briefing and learning on a page with their own."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from oscp_flow.cli import app
from states.services.deps import Deps
from tests.support.partnership import email
from tests.support.reporting import drafting
from tests.support.word import headings, opened


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})


@pytest.fixture
def cli(partnership: Deps, monkeypatch: pytest.MonkeyPatch) -> Deps:
    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: partnership)
    return partnership


def test_render_writes_the_draft_then_the_frozen_report_as_word(cli: Deps, tmp_path: Path) -> None:
    driver = drafting(cli, "mace")
    ref, path = driver.reference, tmp_path / "report.docx"
    done = invoke("report", "render", ref, "--docx", str(path))
    assert done.exit_code == 0, done.stderr
    assert done.stdout.split() == ["Wrote", str(path), "(draft,", "version", "1)."]
    draft = opened(path.read_bytes())
    assert headings(draft)[0] == ("Heading 1", "DRAFT: Summary report: Domestic abuse")
    assert draft.core_properties.identifier == ""

    driver.advance("awaiting_sign_off")
    frozen = invoke("report", "freeze", ref, "--as", email("chair"))
    digest = frozen.stdout.split("sha256 ", 1)[1].strip().rstrip(".")
    both = invoke("report", "render", ref, "--docx", str(path), "--html", str(tmp_path / "r.html"))
    assert both.exit_code == 0, both.stderr
    assert f"Wrote {path} (frozen, version 1)." in " ".join(both.stdout.split())
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert opened(path.read_bytes()).core_properties.identifier == digest
    assert len(digest) == 64

    missing = invoke("report", "render", "AUD-NOPE0000", "--docx", str(tmp_path / "x.docx"))
    assert missing.exit_code == 1 and not (tmp_path / "x.docx").exists()


@pytest.mark.slow
def test_products_writes_word_beside_the_pdf(cli: Deps, tmp_path: Path) -> None:
    driver = drafting(cli, "mace")
    driver.advance("dissemination")
    ref, folder = driver.reference, tmp_path / "out"
    made = invoke("report", "products", ref, "--out", str(folder), "--as", email("coordinator"))
    assert made.exit_code == 0, made.stderr
    stems = (f"{ref}-briefing-v1", f"{ref}-learning-on-a-page-v1")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{stem}.{suffix}" for stem in stems for suffix in ("html", "pdf", "docx")
    )
    listed = invoke("report", "list", ref)
    for stem, title in zip(stems, ("7-minute briefing", "Learning on a page"), strict=True):
        document = opened((folder / f"{stem}.docx").read_bytes())
        assert headings(document)[0] == ("Heading 1", f"{title}: Domestic abuse")
        assert document.core_properties.identifier[:16] in listed.stdout
