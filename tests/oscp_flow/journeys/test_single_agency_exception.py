"""A single-agency exception report, from its drafting to closed: an agency's lead raises it,
the learning hub is told and triages it, the agency is asked for its assurance, the response
is signed off by link, and the action agreed is evidenced by link.

Two steps have no supported way yet, and the journey says so by asserting what happens there
today (see the module's asserts marked GAP): the agency cannot write the exception report
itself while drafting it (no link is sent, and a workbook is refused), nor its response when
asked for assurance (the request e-mail carries no link and ``oscp report draft`` refuses the
agency). Until it can, the chair records the response the agency gives, and the journey goes
on from there to closed.
"""

from __future__ import annotations

from tests.oscp_flow.journeys.steps import (
    RETURN_REQUESTED,
    SECTIONS,
    add_action,
    close,
    evidence_by_link,
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

    # GAP: the agency cannot write its exception report: nothing it was sent has a link, and
    # the tool's workbook is refused while the report is being drafted.
    assert not northdale.links_for(LEAD, audit=exception)
    book = str(northdale.folder / f"{exception}.xlsx")
    northdale.oscp("return", "export", exception, "a02", "-o", book, as_=LEAD)
    refused = northdale.oscp("return", "import", exception, "a02", book, as_=LEAD, code=1)
    assert "returns are not open" in refused
    northdale.fire(exception, "submit_exception", as_=LEAD)
    assert northdale.state(exception) == "triage"

    northdale.fire(exception, "request_agency_assurance", as_=CHAIR)
    assert northdale.state(exception) == "assurance_requested"
    # GAP: the agency is asked for its response by an e-mail without a link, and may not
    # write it with the report commands.
    northdale.send_mail()
    asked = northdale.mail(LEAD, audit=exception, subject=RETURN_REQUESTED)
    assert asked and "has no link" in text_of(asked[-1])
    for agency_person in (LEAD, STRATEGIC_LEAD):
        draft = ("report", "draft", exception, "--section", "working_well", "--text", "Ours.")
        assert "only the chair or coordinator" in northdale.oscp(*draft, as_=agency_person, code=4)

    # Meanwhile the chair records the response the agency gives; its strategic lead submits it.
    for section in SECTIONS:
        said = f"The agency's {section.replace('_', ' ')}, as its strategic lead gave it."
        northdale.oscp(
            "report", "draft", exception, "--section", section, "--text", said, as_=CHAIR
        )
    northdale.fire(exception, "submit_for_sign_off", as_=STRATEGIC_LEAD)
    assert northdale.state(exception) == "awaiting_sign_off"
    assert "Froze version 1" in northdale.oscp("report", "freeze", exception, as_=CHAIR)
    sign_off(northdale, exception, "hub3")
    assert northdale.state(exception) == "actions_agreed"

    action = add_action(northdale, exception, owner="a02")
    northdale.fire(exception, "start_dissemination", as_=CHAIR)
    share_and_monitor(northdale, exception)
    evidence_by_link(northdale, exception, action, lead="lead.a02", accepted_by=at("hub1"))
    close(northdale, exception)
