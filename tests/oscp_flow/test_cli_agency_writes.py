"""The agency's own part, typed at the command line, in-process on the test's database (SQLite
and PostgreSQL): an agency lead raises an exception report, writes it as its return in the
tool's workbook and submits it to the learning hub; asked for assurance, the agency's leads
write the response and submit it for sign-off. Section 11's chair records each agency's
feedback before the audit goes on to its report (issue 15, gaps 1 to 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from oscp_flow.cli import app
from states.services import audits, queries, returns
from states.services.deps import Deps
from tests.support.driver import RETURNING, complete_answers, drive
from tests.support.partnership import email

LEAD = email("lead.police")
STRATEGIC_LEAD = email("lsp.police")
CHAIR = email("chair")
SECTIONS = ("working_well", "emerging_concerns", "recommendations", "reflection")


def invoke(*args: str, as_: str) -> Result:
    return CliRunner().invoke(app, [*args, "--as", as_], env={"COLUMNS": "250"})


@pytest.fixture
def cli(partnership: Deps, monkeypatch: pytest.MonkeyPatch) -> Deps:
    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: partnership)
    return partnership


def _state(deps: Deps, reference: str) -> str:
    return queries.audit_status(deps, audit=reference, as_person=CHAIR).state


def test_the_agency_writes_its_exception_report_and_its_response(cli: Deps, tmp_path: Path) -> None:
    deps = cli
    raised = invoke(
        "audit", "start", "single_agency_exception", "--theme", "Strategy discussions late",
        "--lead", CHAIR, as_=LEAD,
    )  # fmt: skip
    assert raised.exit_code == 0, raised.stderr
    reference = raised.stdout.split()[1]

    early = invoke("audit", "fire", reference, "submit_exception", as_=LEAD)
    assert early.exit_code == 1 and "all_returns_in" in early.stderr
    # Part written on the web form; the rest in the workbook, submitted from it.
    tool = deps.catalogue.tool("single_agency_exception")
    assert tool is not None
    answers = complete_answers(tool)
    returns.save_draft(deps, audit=reference, actor=LEAD, agency="police", answers=answers)
    book = tmp_path / "police.xlsx"
    exported = invoke("return", "export", reference, "police", "-o", str(book), as_=LEAD)
    assert exported.exit_code == 0, exported.stderr
    done = invoke("return", "import", reference, "police", str(book), "--submit", as_=LEAD)
    assert done.exit_code == 0, done.stderr
    assert "return is submitted" in done.stdout
    assert invoke("audit", "fire", reference, "submit_exception", as_=LEAD).exit_code == 0
    audits.fire(deps, audit=reference, trigger="request_agency_assurance", actor=CHAIR)

    other = invoke("report", "draft", reference, "--section", "working_well", "--text", "x",
                   as_=email("lead.csc"))  # fmt: skip
    assert other.exit_code == 4, other.stderr
    assert "raising agency lead" in other.stderr
    for n, section in enumerate(SECTIONS):
        writer = LEAD if n % 2 else STRATEGIC_LEAD
        text = f"The agency's {section.replace('_', ' ')}."
        saved = invoke("report", "draft", reference, "--section", section, "--text", text,
                       as_=writer)  # fmt: skip
        assert saved.exit_code == 0, saved.stderr
        assert f"Saved '{section}'" in saved.stdout
    submitted = invoke("audit", "fire", reference, "submit_for_sign_off", as_=STRATEGIC_LEAD)
    assert submitted.exit_code == 0, submitted.stderr
    assert _state(deps, reference) == "awaiting_sign_off"


def test_section_11_feedback_to_each_agency(cli: Deps, tmp_path: Path) -> None:
    deps = cli
    reference = drive(deps, "section_11", "feedback_to_agencies").reference
    letter = tmp_path / "feedback.txt"
    letter.write_text("Strong induction; evidence the supervision standard next year.\n")

    early = invoke("audit", "fire", reference, "send_feedback", as_=CHAIR)
    assert early.exit_code == 1 and "feedback_recorded" in early.stderr
    assert "Northvale Police" in early.stderr
    for agency in RETURNING:
        given = invoke("audit", "feedback", reference, agency, "--file", str(letter), as_=CHAIR)
        assert given.exit_code == 0, given.stderr
        assert f"Feedback to {agency} on {reference} recorded." in given.stdout
    stranger = invoke("audit", "feedback", reference, "schools", "--file", str(letter), as_=CHAIR)
    assert stranger.exit_code == 1 and "returning agency 'schools'" in stranger.stderr
    assert invoke("audit", "fire", reference, "send_feedback", as_=CHAIR).exit_code == 0
    assert _state(deps, reference) == "report_drafting"
