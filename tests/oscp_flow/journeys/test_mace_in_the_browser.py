"""A MACE from "start" to "closed" through the pages alone, each person at their own screen:
the coordinator starts it from the programme and assigns auditors; the chair agrees the terms,
uploads the sample, moderates, writes the report and takes each stage's step; two auditors
sign in, declare their independence and complete case audits; three agencies' leads return by
the links they are e-mailed (one on a phone); learning hub and statutory partner members sign
off by link, one refusing first; an action is evidenced by link and accepted; the audit is
shared and closed.

E-mail goes through a real SMTP server; every page is checked by axe-core and kept as a
screenshot under ``var/artefacts/mace-in-the-browser/``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator

from tests.oscp_flow.journeys.browser import (
    Served,
    approve,
    draft_report,
    served,
    share_everything,
    step,
)
from tests.oscp_flow.journeys.steps import CASES_HEADER, SIGN_OFF_REQUESTED
from tests.support.chromium import fill_everything
from tests.support.journey import at
from tests.support.northdale import CHAIR, COORDINATOR
from tests.support.screens import Screen
from tests.support.smtp import text_of

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(900)]

REFERENCE = re.compile(r"AUD-[0-9A-Z]{8}")
AGENCIES = {"a01": "Agency 01", "a02": "Agency 02", "a03": "Agency 03"}
CASES = {"NDA-2026-0201": "a01;a02", "NDA-2026-0202": "a02;a03", "NDA-2026-0203": "a01;a03"}
AUDITORS = {
    "NDA-2026-0201": at("auditor1"),
    "NDA-2026-0202": at("auditor2"),
    "NDA-2026-0203": at("auditor1"),
}
# The agency whose case audit each case's auditor completes; the leads return the rest.
BY_AUDITOR = {"NDA-2026-0201": "a01", "NDA-2026-0202": "a02", "NDA-2026-0203": "a03"}
TERMS = {
    "Scope": "Cases open to two or more agencies on the audit's theme",
    "Time window": "Interventions in the 12 months before the audit started",
    "Methodology": "Case file audit against the audit tool, then moderation",
    "Sample rationale": "Cases known to every returning agency",
    "Timetable": "Returns within 20 working days; moderation within 10",
}
ASSURANCE = "The case was reviewed by a manager the same day; a plan is in place."
RATIONALE = "The records show the strategy discussion was late, so this is lower."
ACTION = "Share strategy meeting minutes with every agency invited."
EVIDENCE = "Minutes now go to every invited agency within two working days."
REPORT = {
    "What is working well": "Strategy discussions were held promptly in most cases.",
    "Emerging concerns": "Health was not always invited to strategy discussions.",
    "Recommendations": "Invite health to every strategy discussion.",
    "Reflection on the process of the audit": "The tool worked well; allow more time.",
}


def test_a_mace_from_start_to_closed_through_the_pages(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    people = ("chair", "auditor1", "auditor2", "hub1")
    with served(tmp_path, "postgres", request, "mace-in-the-browser", *people) as app:
        pat = app.signed_in(COORDINATOR)
        reference = _start(pat)
        chair = app.signed_in(CHAIR, f"/audits/{reference}")
        _terms_and_sample(app, chair, reference, tmp_path)
        _auditors(app, pat, reference)
        step(chair, reference, "Confirm auditor assignments")
        step(chair, reference, "Open case audits to agencies")
        _case_audits_by_auditors(app, reference)
        _returns_by_link(app, reference)
        _assurance_by_link(app, reference)
        step(chair, reference, "Close case audits")
        _moderate(chair, reference)
        step(chair, reference, "Complete moderation")
        _report(chair, reference)
        _sign_off(app, chair, reference)
        _actions_sharing_and_close(app, pat, chair, reference)
        for message in app.northdale.recorder.received:
            if reference in str(message["Subject"]):
                assert not any(case in text_of(message) for case in CASES)
        app.album.axe.assert_clean()


def _start(pat: Screen) -> str:
    """The coordinator starts the programme's MACE from its entry on the board."""
    pat.click("Start the audit for sexual-abuse-mace")
    pat.page.get_by_label("Chair").select_option(value=CHAIR)
    for name in AGENCIES.values():
        pat.page.get_by_label(name, exact=True).check()
    pat.press("Start the audit")
    pat.says("is started")
    found = REFERENCE.search(pat.page.locator("h1").inner_text())
    assert found is not None
    return found[0]


def _terms_and_sample(app: Served, chair: Screen, reference: str, folder: Path) -> None:
    """The chair records and agrees the terms, then uploads the sample and confirms it."""
    chair.click("Terms of reference")
    for label, text in TERMS.items():
        chair.page.get_by_label(label, exact=True).fill(text)
    chair.press("Save the terms of reference")
    chair.press("Agree the terms of reference")
    chair.says("agreed")
    chair.open(f"/audits/{reference}/sample")
    today = app.northdale.today()
    rows = [
        f"{case},{agencies},{today - timedelta(days=300)},{today - timedelta(days=30)}\n"
        for case, agencies in CASES.items()
    ]
    sample = folder / "cases.csv"
    sample.write_text(CASES_HEADER + "".join(rows), encoding="utf-8")
    chair.page.get_by_label("The cases file (CSV)").set_input_files(str(sample))
    chair.press("Upload and check")
    chair.press("Confirm the sample")
    step(chair, reference, "Confirm the tool and the case sample")


def _auditors(app: Served, pat: Screen, reference: str) -> None:
    """The coordinator assigns each case an auditor; each auditor signs in and declares."""
    pat.open(f"/audits/{reference}/auditors")
    for case, auditor in AUDITORS.items():
        pat.page.get_by_label(f"Auditor for case {case}").select_option(value=auditor)
        pat.press(f"Assign the auditor to case {case}")
    for auditor in sorted(set(AUDITORS.values())):
        screen = app.signed_in(auditor, "/work")
        for case in [c for c, a in AUDITORS.items() if a == auditor]:
            screen.click(f"Declare your involvement in case {case}")
            screen.page.get_by_label("I have no involvement in this case").check()
            screen.press("Send my declaration")
        screen.close()


def _case_audits_by_auditors(app: Served, reference: str) -> None:
    """Each auditor completes, for each case of theirs, one agency's return on it: the
    agencies' own leads return the rest by link."""
    for auditor in sorted(set(AUDITORS.values())):
        screen = app.signed_in(auditor, "/work")
        for case in [c for c, a in AUDITORS.items() if a == auditor]:
            screen.click(f"Complete the case audit of case {case}")
            agency = AGENCIES[BY_AUDITOR[case]]
            _answer_every_question(screen.page.get_by_role("region", name=agency))
            screen.press(f"Submit for {agency}")
            screen.open("/work")
        screen.close()


def _answer_every_question(form: Locator) -> None:
    fill_everything(form)


def _returns_by_link(app: Served, reference: str) -> None:
    """Each agency's lead opens the link they were e-mailed (one on a phone) and submits
    every case audit it still asks for."""
    for n, code in enumerate(AGENCIES):
        link = app.links(at(f"lead.{code}"), audit=reference, subject="Action needed by")
        lead = app.screen(f"lead.{code}", phone=n == 0)
        lead.open(link)
        for _ in range(len(CASES)):
            if not lead.page.get_by_role("button", name="Submit").count():
                break
            form = (
                lead.page.locator("form")
                .filter(has=lead.page.get_by_role("button", name="Submit"))
                .first
            )
            _answer_every_question(form)
            lead.press("Submit", within=form)
        lead.says("Return submitted")
        lead.close()


def _assurance_by_link(app: Served, reference: str) -> None:
    """Answers in the case audits raised immediate-risk concerns; each agency's strategic
    lead gives the agency's assurance through the link they were e-mailed."""
    app.northdale.send_mail()
    for code in AGENCIES:
        lead = app.screen(f"lsp.{code}")
        asked = app.northdale.links_for(
            at(f"lsp.{code}"), audit=reference, subject="Immediate-risk concern"
        )
        assert asked, f"lsp.{code} was told of no concern"
        for link in asked:  # one e-mail per concern raised
            lead.open(link)
            lead.page.get_by_label("Your agency's assurance").fill(ASSURANCE)
            lead.press("Send the assurance")
        lead.close()


def _moderate(chair: Screen, reference: str) -> None:
    """The chair reads the findings not yet moderated a page at a time, changes one rating
    with a rationale, and confirms the rest of each page as rated."""
    chair.open(f"/audits/{reference}/moderation?unmoderated=1")
    rated = "section[id^=finding-]:has(summary:has-text('Give a different rating'))"
    first = chair.page.locator(rated).first
    first.locator("summary").click()
    first.locator("details fieldset label:not(:has-text('(as rated)'))").first.click()
    first.get_by_label("Why the rating changes").fill(RATIONALE)
    chair.press(re.compile(r"^Change the rating"), within=first)
    for _ in range(20):
        if not chair.buttons("Confirm all shown as rated"):
            break
        chair.press("Confirm all shown as rated")
    chair.open(f"/audits/{reference}/moderation")
    chair.says(RATIONALE)


def _report(chair: Screen, reference: str) -> None:
    draft_report(chair, reference, REPORT)
    chair.click("Preview the report as it will print")
    chair.says(REPORT["Recommendations"])
    chair.open(f"/audits/{reference}/report")
    chair.press("Send for sign-off")


def _sign_off(app: Served, chair: Screen, reference: str) -> None:
    """A statutory partner refuses; the chair answers and resubmits; three members approve."""
    refusing = app.links(at("lsp.a02"), audit=reference, subject=SIGN_OFF_REQUESTED)
    partner = app.screen("lsp.a02")
    partner.open(refusing)
    partner.page.get_by_label("Refuse", exact=False).first.check()
    partner.page.get_by_label("Comment", exact=False).first.fill(
        "Say how the recommendations will be resourced."
    )
    partner.press("Send my decision")
    partner.close()
    chair.open(f"/audits/{reference}/report")
    chair.says("Say how the recommendations will be resourced.")
    chair.page.get_by_label("Recommendations", exact=True).fill(
        "Invite health to every strategy discussion; the council resources it."
    )
    chair.press("Save draft")
    chair.page.get_by_label("What this version answers").fill("Resourcing added")
    chair.press("Send for sign-off")
    approve(app, reference, ("hub1", "lsp.a01", "lsp.a02"))


def _actions_sharing_and_close(app: Served, pat: Screen, chair: Screen, reference: str) -> None:
    """The chair turns a recommendation into an action for Agency 02 and makes and shares
    the products; the coordinator starts monitoring; the agency evidences the action by link,
    a learning hub member accepts the evidence, and the coordinator closes the audit."""
    chair.open(f"/audits/{reference}")
    chair.page.get_by_label("The action", exact=True).fill(ACTION)
    chair.page.get_by_label("Agency that owns it").select_option(label="Agency 02")
    due = app.northdale.today() + timedelta(weeks=8)
    chair.page.get_by_label("Due by").fill(due.isoformat())
    chair.press("Add the action")
    step(chair, reference, "Start dissemination")
    chair.open(f"/audits/{reference}/sharing")
    chair.press("Make the products")
    share_everything(chair, reference)
    step(pat, reference, "Record dissemination and start monitoring impact")

    link = app.links(at("lead.a02"), audit=reference, subject="Action for")
    lead = app.screen("lead.a02")
    lead.open(link)
    lead.page.get_by_label("My agency has started on action 1").check()
    lead.press("The action is under way")
    lead.click("the same link")
    lead.page.get_by_label("Evidence that the action has made a difference").fill(EVIDENCE)
    lead.press("Send the evidence")
    lead.close()

    hub = app.signed_in(at("hub1"), f"/audits/{reference}")
    hub.page.get_by_label("Accept: the evidence shows the action's impact").check()
    hub.press("Record the review of action 1")
    hub.close()
    step(pat, reference, "Close the audit")
    pat.open(f"/audits/{reference}")
    pat.says("Closed")
