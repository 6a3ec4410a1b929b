"""A Section 175 self-assessment from "start" to "closed" through the pages alone: the
coordinator starts it for four schools; the chair issues the tool and opens returns; each
setting's safeguarding lead returns by the link they are e-mailed (one on a phone); the chair
takes the deep-dive sample, moderates it, records each sampled school's feedback and writes the
report; learning hub and statutory partner members sign off by link; the letters go to every
setting and each sampled school reads its own; the coordinator records the sharing and closes.

E-mail goes through a real SMTP server; every page is checked by axe-core and kept as a
screenshot under ``var/artefacts/section-175-in-the-browser/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.oscp_flow.journeys.browser import (
    Served,
    approve,
    draft_report,
    served,
    share_everything,
    step,
)
from tests.support.chromium import fill_everything
from tests.support.journey import at
from tests.support.northdale import CHAIR, COORDINATOR
from tests.support.screens import Screen

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REFERENCE = re.compile(r"AUD-[0-9A-Z]{8}")
SETTINGS = {
    "s001": "Setting 001",
    "s002": "Setting 002",
    "s003": "Setting 003",
    "s004": "Setting 004",
}
DEEP_DIVE = ("s001", "s003")
FEEDBACK = "A strong safeguarding culture; bring the online safety policy up to date."
REPORT = {
    "What is working well": "Designated leads are trained and known to staff.",
    "Emerging concerns": "Online safety policies are out of date in some schools.",
    "Recommendations": "Every school reviews its online safety policy this year.",
    "Reflection on the process of the audit": "The self-assessment was clear to schools.",
}


def test_a_section_175_from_start_to_closed_through_the_pages(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    people = ("chair",)
    with served(tmp_path, "sqlite", request, "section-175-in-the-browser", *people) as app:
        pat = app.signed_in(COORDINATOR)
        reference = _start(pat)
        chair = app.signed_in(CHAIR, f"/audits/{reference}")
        step(chair, reference, "Issue the self-assessment tool to every setting")
        step(chair, reference, "Open self-assessments")
        _returns_by_link(app, reference)
        step(chair, reference, "Close self-assessments")
        _deep_dive(chair, reference)
        step(chair, reference, "Complete the deep dive")
        _feedback(chair, reference)
        step(chair, reference, "Record that feedback has gone to every sampled setting")
        draft_report(chair, reference, REPORT)
        chair.press("Send for sign-off")
        approve(app, reference, ("hub1", "lsp.a02", "lsp.a03"))
        _letters(app, chair, reference)
        step(pat, reference, "Record that every setting has the report and start monitoring impact")
        step(pat, reference, "Close the audit")
        pat.open(f"/audits/{reference}")
        pat.says("Closed")
        app.album.axe.assert_clean()


def _start(pat: Screen) -> str:
    """The coordinator starts a Section 175 by hand for four schools."""
    pat.click("Start an audit")
    pat.page.get_by_label("Section 175/157 self-assessment audit").check()
    pat.page.get_by_label("Theme", exact=True).fill("Safeguarding in education 2026")
    pat.page.get_by_label("Chair").select_option(value=CHAIR)
    pat.page.locator("summary", has_text="Or choose schools and settings one by one").click()
    for name in SETTINGS.values():
        pat.page.get_by_label(re.compile(f"^{name} ")).check()
    pat.press("Start the audit")
    found = REFERENCE.search(pat.page.locator("h1").inner_text())
    assert found is not None
    return found[0]


def _returns_by_link(app: Served, reference: str) -> None:
    """Each setting's lead completes the self-assessment from the link they were e-mailed."""
    for n, code in enumerate(SETTINGS):
        link = app.links(at(f"lead.{code}"), audit=reference, subject="Action needed by")
        lead = app.screen(f"lead.{code}", phone=n == 0)
        lead.open(link)
        fill_everything(lead.page.locator("form").first)
        lead.press("Submit")
        lead.says("Return submitted")
        lead.close()


def _deep_dive(chair: Screen, reference: str) -> None:
    """The chair chooses two schools' self-assessments by hand and moderates their findings."""
    chair.open(f"/audits/{reference}/deep-dive")
    for code in DEEP_DIVE:
        chair.page.get_by_label(SETTINGS[code], exact=True).check()
    chair.press("Take these settings")
    chair.open(f"/audits/{reference}/moderation?unmoderated=1")
    for _ in range(20):
        if not chair.buttons("Confirm all shown as rated"):
            break
        chair.press("Confirm all shown as rated")


def _feedback(chair: Screen, reference: str) -> None:
    chair.open(f"/audits/{reference}/feedback")
    for code in DEEP_DIVE:
        chair.page.get_by_label(f"Feedback to {SETTINGS[code]}").fill(FEEDBACK)
        chair.press(f"Record the feedback to {SETTINGS[code]}")
    chair.says("Recorded\n2 of 2")


def _letters(app: Served, chair: Screen, reference: str) -> None:
    """The products and letters are made from the signed-off report and sent; each sampled
    school's lead reads its letter by link; the chair records what was shared."""
    chair.open(f"/audits/{reference}/sharing")
    chair.press("Make the products")
    chair.press("Send to every setting")
    for code in DEEP_DIVE:
        link = app.links(at(f"lead.{code}"), audit=reference, subject="Your feedback letter")
        lead = app.screen(f"lead.{code}")
        lead.open(link)
        lead.click("Read the letter")
        lead.says(FEEDBACK)
        lead.close()
    assert not app.northdale.mail(at("lead.s002"), audit=reference, subject="Your feedback letter")
    share_everything(chair, reference)
