"""A single-agency exception report, from its drafting to closed: an agency's lead raises it
and is e-mailed a link to write it, the learning hub is told, and triages it once it is
submitted (returning it once for more detail, which the agency revises by a fresh link); the
agency's own leads write its response when asked for assurance, the response is signed off by
link, and the action agreed is evidenced by link.
"""

from __future__ import annotations

from tests.oscp_flow.journeys.steps import (
    RETURN_REQUESTED,
    SECTIONS,
    add_action,
    close,
    evidence_by_link,
    returns_by_link,
    share_and_monitor,
    sign_off,
)
from tests.support.journey import Partnership, at
from tests.support.northdale import CHAIR
from tests.support.smtp import text_of

LEAD = at("lead.a02")
STRATEGIC_LEAD = at("lsp.a02")


def test_an_exception_report_from_drafting_to_closed(northdale: Partnership) -> None:
    exception = northdale.start(
        "audit",
        "start",
        "single_agency_exception",
        "--theme",
        "Strategy discussions not held in time",
        "--lead",
        CHAIR,
        as_=LEAD,
    )
    assert northdale.state(exception) == "exception_drafting"
    northdale.send_mail()
    assert northdale.mail(at("hub1"), audit=exception, subject="Exception report")

    # The lead is asked for the report at once, by link; the learning hub gets it only once
    # it is written and submitted.
    held = northdale.oscp("audit", "fire", exception, "submit_exception", as_=LEAD, code=1)
    assert "all_returns_in" in held
    returns_by_link(northdale, exception, "lead.a02")
    northdale.fire(exception, "submit_exception", as_=LEAD)
    assert northdale.state(exception) == "triage"

    # Returned for more detail: a fresh link opens the report as submitted, to revise.
    why = ("--reason", "Say how many children it affects, and since when")
    northdale.oscp("audit", "fire", exception, "return_to_agency", *why, as_=CHAIR)
    assert northdale.state(exception) == "exception_drafting"
    northdale.send_mail()
    again = northdale.link(LEAD, audit=exception, subject=RETURN_REQUESTED)
    assert again != northdale.links_for(LEAD, audit=exception, subject=RETURN_REQUESTED)[0]
    assert "agency&#39;s own records" in northdale.web.open(again)  # its words are kept
    assert "Return submitted" in northdale.web.return_all(again, pick=1)
    northdale.fire(exception, "submit_exception", as_=LEAD)
    northdale.fire(exception, "request_agency_assurance", as_=CHAIR)
    assert northdale.state(exception) == "assurance_requested"

    # Its leads are asked for the response, which they write themselves: no link takes it.
    northdale.send_mail()
    for agency_person in (LEAD, STRATEGIC_LEAD):
        asked = northdale.mail(agency_person, audit=exception, subject=RETURN_REQUESTED)
        said = text_of(asked[-1])
        assert "response" in str(asked[-1]["Subject"]) and "oscp report draft" in said
        assert "/act/" not in said
    other = ("report", "draft", exception, "--section", "working_well", "--text", "Not ours.")
    assert "raising agency lead" in northdale.oscp(*other, as_=at("lead.a03"), code=4)
    for n, section in enumerate(SECTIONS):
        said = f"The agency's {section.replace('_', ' ')}, in its own words."
        writer = STRATEGIC_LEAD if n % 2 else LEAD
        northdale.oscp(
            "report", "draft", exception, "--section", section, "--text", said, as_=writer
        )
    northdale.fire(exception, "submit_for_sign_off", as_=STRATEGIC_LEAD)
    assert northdale.state(exception) == "awaiting_sign_off"
    frozen = northdale.oscp("report", "freeze", exception, as_=STRATEGIC_LEAD)
    assert "Version 1" in frozen and "already frozen" in frozen
    sign_off(northdale, exception, "hub3")
    assert northdale.state(exception) == "actions_agreed"

    action = add_action(northdale, exception, owner="a02")
    northdale.fire(exception, "start_dissemination", as_=CHAIR)
    share_and_monitor(northdale, exception)
    evidence_by_link(northdale, exception, action, lead="lead.a02", accepted_by=at("hub1"))
    close(northdale, exception)
