"""Issue 15, items 11 and 12 from the command line, in-process on the test's database (SQLite
and PostgreSQL): ``oscp audit shared`` records what an audit shared (a day to come or a
channel the item does not go by is refused), ``oscp audit show`` lists it, and an agency lead
raises an exception report with ``oscp audit start single_agency_exception`` for their own
agency only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import CliRunner, Result

from oscp_flow.cli import app
from states.clock import LONDON
from states.services.deps import Deps
from tests.support.driver import drive
from tests.support.partnership import email, person_name

COORDINATOR = email("coordinator")


def invoke(*args: str, actor: str | None = COORDINATOR) -> Result:
    acting = [] if actor is None else ["--as", actor]
    return CliRunner().invoke(app, [*args, *acting], env={"COLUMNS": "250"}, catch_exceptions=False)


@pytest.fixture
def cli(partnership: Deps, monkeypatch: pytest.MonkeyPatch) -> Deps:
    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: partnership)
    return partnership


def test_recording_what_was_shared_by_command(cli: Deps) -> None:
    ref = drive(cli, "mace", "dissemination").reference
    today = cli.clock.now().astimezone(LONDON).date()
    later = (today + timedelta(days=1)).isoformat()
    ahead = invoke("audit", "shared", ref, "briefing", "--channel", "newsletter", "--on", later)
    assert ahead.exit_code == 1 and "cannot be in the future" in ahead.stderr
    wrong = invoke(
        "audit", "shared", ref, "website", "--channel", "newsletter", "--on", today.isoformat()
    )
    assert wrong.exit_code == 1 and "not by 'newsletter'" in wrong.stderr
    badly = invoke("audit", "shared", ref, "website", "--channel", "newsletter", "--on", "3/6/26")
    assert badly.exit_code == 2 and "YYYY-MM-DD" in badly.stderr

    blocked = invoke("audit", "fire", ref, "start_impact_monitoring")
    assert blocked.exit_code == 1 and "still to record as shared" in blocked.stderr
    last_week = (today - timedelta(days=7)).isoformat()
    shared = invoke(
        "audit", "shared", ref, "briefing", "--channel", "briefing_session", "--on", last_week
    )
    assert shared.exit_code == 0, shared.stderr
    assert f"Recorded: {ref} shared briefing by briefing_session on" in shared.stdout
    assert "Still to record as shared: learning_hub, website, learning_on_a_page." in shared.stdout
    shown = invoke("audit", "show", ref)
    assert "What the audit must share" in shown.stdout
    assert f"by briefing_session ({person_name('coordinator')})" in shown.stdout
    assert "not yet" in shown.stdout

    for item, channel in (
        ("learning_hub", "learning_hub_meeting"),
        ("website", "partnership_website"),
        ("learning_on_a_page", "newsletter"),
    ):
        done = invoke("audit", "shared", ref, item, "--channel", channel, "--on", today.isoformat())
        assert done.exit_code == 0, done.stderr
    assert "Everything this audit must share is recorded." in done.stdout
    moved = invoke("audit", "fire", ref, "start_impact_monitoring")
    assert moved.exit_code == 0, moved.stderr


def test_an_agency_lead_raises_an_exception_report_for_their_own_agency(cli: Deps) -> None:
    lead = email("lead.police")
    start = ("audit", "start", "single_agency_exception", "--theme", "Missed strategy meetings")
    theirs = invoke(*start, "--lead", COORDINATOR, actor=lead)
    assert theirs.exit_code == 0, theirs.stderr
    assert "in state exception_drafting" in theirs.stdout
    other = invoke(*start, "--lead", COORDINATOR, "--agency", "csc", actor=lead)
    assert other.exit_code == 4
    assert "for their own agency only" in other.stderr
    own_lead = invoke(*start, "--lead", lead, actor=lead)
    assert (
        own_lead.exit_code == 1 and "name a learning hub member or coordinator" in own_lead.stderr
    )
    mace = invoke("audit", "start", "mace", "--theme", "Neglect", "--lead", COORDINATOR, actor=lead)
    assert mace.exit_code == 4 and "Only a coordinator can start an audit" in mace.stderr
