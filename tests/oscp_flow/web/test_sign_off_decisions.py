"""Sign-off decisions people can read (issue 16, items 4 and 6): the audit page lists each
decision (who, for which body, approve or refuse, when) with its comment for the chair and
coordinators only; the programme board shows the day an entry's audit was signed off; and, in
real Chromium, a refusal's comment typed behind a member's e-mailed link is read by the chair
on the audit page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from oscp_flow.settings import Settings
from states.clock import LONDON
from states.rules.quarters import plain_day
from states.services import programme, work
from states.services.deps import Deps
from tests.conftest import ROOT
from tests.support.accessibility import assert_accessible
from tests.support.browser import chromium, deliver, follow, serving
from tests.support.driver import REPORT, Driver, drive
from tests.support.partnership import email, give_passwords, person_name
from tests.support.ports import bound, port_of
from tests.support.web import PASSWORD, sign_in

COMMENT = "Evidence how the health recommendations will be resourced before approving."
PROGRAMME = ROOT / "definitions" / "programme" / "oscp-2025-28.yaml"


@pytest.fixture
def people(partnership: Deps) -> Deps:
    give_passwords(partnership, PASSWORD, ("coordinator", "chair", "lhm"))
    return partnership


def _refused_once(deps: Deps) -> str:
    reference = drive(deps, "mace", to="awaiting_sign_off").reference
    work.record_sign_off_decision(deps, audit=reference, actor=email("lhm"), decision="approve")
    work.record_sign_off_decision(
        deps, audit=reference, actor=email("lsp.health"), decision="refuse", comment=COMMENT
    )
    return reference


def _section(page: str) -> str:
    return page[page.index('id="sign-off"') : page.index('id="deadlines"')]


@pytest.mark.parametrize("organiser", ["chair", "coordinator"])
def test_the_chair_and_coordinators_read_each_decision_and_its_comment(
    people: Deps, client: TestClient, organiser: str
) -> None:
    reference = _refused_once(people)
    sign_in(client, email(organiser))
    section = _section(client.get(f"/audits/{reference}").text)
    for shown in (
        "one member of the learning hub and two members of the statutory partners",
        person_name("lhm"),
        "Northvale Learning Hub",
        "Approved",
        person_name("lsp.health"),
        "Northvale Safeguarding Partners",
        "Refused",
        COMMENT,
    ):
        assert shown in " ".join(section.split()), shown


def test_other_members_see_the_decisions_but_not_the_comments(
    people: Deps, client: TestClient
) -> None:
    reference = _refused_once(people)
    sign_in(client, email("lhm"))
    section = _section(client.get(f"/audits/{reference}").text)
    assert person_name("lsp.health") in section and "Refused" in section
    assert COMMENT not in section
    assert "Comments are shown to the audit's chair and coordinators" in section


def test_the_board_shows_the_day_an_entry_was_signed_off(people: Deps, client: TestClient) -> None:
    programme.load_programme(people, PROGRAMME)
    reference = programme.start_from_programme(
        people, key="sexual-abuse-mace", lead=email("chair"), actor=email("coordinator")
    ).reference
    Driver(people, reference).advance("actions_agreed")
    today = people.clock.now().astimezone(LONDON).date()
    sign_in(client, email("coordinator"))
    page = client.get("/board").text
    whole = page[page.index('<h2 id="programme"') :]
    row = next(r for r in whole.split("<tr>") if "sexual-abuse-mace" in r)
    assert reference in row and plain_day(today) in row
    # Entries not yet signed off show the plan's own words, or say so.
    benchmarking = next(r for r in whole.split("<tr>") if "syv-benchmarking" in r)
    assert "Dec 24" in benchmarking


@pytest.mark.slow
def test_the_chair_reads_a_refusals_comment_on_the_audit_page(people: Deps, tmp_path: Path) -> None:
    deps = people
    reference = drive(deps, "mace", to="awaiting_sign_off").reference
    web = bound()
    base = f"http://127.0.0.1:{port_of(web)}"
    settings = Settings(home=tmp_path, base_url=base)
    with serving(deps, settings, web), chromium() as browser:
        link = deliver(deps, settings)["lsp.health@example.org"]
        page = browser.new_page()
        page.goto(link)
        page.get_by_label(re.compile("refuse", re.I)).first.check()
        page.get_by_label(re.compile("comment", re.I)).fill(COMMENT)
        follow(page, page.locator("button[type=submit]").first)
        assert "Your refusal and comment are recorded" in page.content()

        chair = browser.new_page()
        chair.goto(f"{base}/audits/{reference}")
        assert "/signin" in chair.url
        chair.get_by_label("E-mail address").fill(email("chair"))
        chair.get_by_label("Password").fill(PASSWORD)
        follow(chair, chair.get_by_role("button", name="Sign in"))
        assert chair.url == f"{base}/audits/{reference}"
        decisions = chair.locator("#sign-off + p + .table-wrap")
        refused = decisions.locator("tr.decision-refuse")
        assert person_name("lsp.health") in refused.inner_text()
        assert refused.locator("blockquote.comment").inner_text() == COMMENT
        assert chair.get_by_role("heading", name="Sign-off decisions").is_visible()
        # The report the comment is about, beside it on the same page.
        assert chair.get_by_role("heading", name="Summary report").is_visible()
        assert REPORT["working_well"] in chair.locator("#report ~ .report-text").first.inner_text()
        chair.screenshot(path=str(tmp_path / "refusal-comment.png"), full_page=True)
        assert_accessible(chair, "the audit page with a refusal's comment")
