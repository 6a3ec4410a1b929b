"""The steps every journey takes the same way, each as its people take it: a command typed
by the person named, or a link followed from the e-mail they received.

Each journey's own module says who does what and in which order; these are the shared
moves: returns by e-mailed link, moderation, the report, sign-off by link, actions and their
evidence by link.
"""

from __future__ import annotations

from datetime import timedelta

from tests.support.journey import Partnership, at
from tests.support.northdale import CHAIR, COORDINATOR

# Subjects of the e-mails people act on, as they read them.
RETURN_REQUESTED = "Action needed by"
SIGN_OFF_REQUESTED = "Sign-off requested"
ACTION_ASSIGNED = "Action for"
SECTIONS = ("working_well", "emerging_concerns", "recommendations", "reflection")
TERMS = {
    "--scope": "Cases open to two or more agencies on the audit's theme",
    "--time-window": "Interventions in the 12 months before the audit started",
    "--methodology": "Case file audit against the audit tool, then moderation",
    "--sample-rationale": "Cases known to every returning agency",
    "--timetable": "Returns within 20 working days; moderation within 10",
}
CASES_HEADER = "reference,agencies,first_intervention_on,last_intervention_on\n"


def each(option: str, *values: str) -> list[str]:
    """``--agency a01 --agency a02``, as typed."""
    return [part for value in values for part in (option, value)]


def terms() -> list[str]:
    return [part for option, text in TERMS.items() for part in (option, text)]


def cases_file(northdale: Partnership, name: str, cases: dict[str, str]) -> str:
    """A cases CSV as an agency's case system exports it: each pseudonymous reference with
    the agencies involved (``a01;a02``), its last intervention within the last year."""
    today = northdale.today()
    first = today - timedelta(days=300)
    rows = [
        f"{case},{agencies},{first},{today - timedelta(days=30)}\n"
        for case, agencies in cases.items()
    ]
    return str(northdale.file(name, CASES_HEADER + "".join(rows)))


def assign_auditors(northdale: Partnership, audit: str, auditors: dict[str, str]) -> None:
    """The coordinator assigns each case an auditor, who declares no involvement in it."""
    for case, auditor in auditors.items():
        northdale.oscp("audit", "auditors", "assign", audit, case, auditor, as_=COORDINATOR)
        northdale.oscp("audit", "auditors", "declare", audit, case, "none", as_=auditor)
    listed = northdale.oscp("audit", "auditors", "list", audit)
    assert "no auditor yet" not in listed and "declaration awaited" not in listed


def returns_by_link(northdale: Partnership, audit: str, *leads: str, pick: int = 0) -> None:
    """Each lead opens the newest return link they were e-mailed and submits every return
    it asks for, answering each question with one of the form's own options."""
    northdale.send_mail()
    for n, lead in enumerate(leads):
        link = northdale.link(at(lead), audit=audit, subject=RETURN_REQUESTED)
        done = northdale.web.return_all(link, pick=pick + n)
        assert "Return submitted" in done


def moderate(northdale: Partnership, audit: str, *, moderator: str = CHAIR) -> None:
    """The chair reads the findings and confirms every one as rated."""
    listed = northdale.oscp("findings", "list", audit, "--unmoderated", as_=moderator)
    assert "not yet moderated" in listed
    northdale.oscp("findings", "confirm", audit, "--all-shown", as_=moderator)
    assert "0 not yet moderated" in northdale.oscp("findings", "list", audit, as_=moderator)


def write_report(northdale: Partnership, audit: str, *, author: str = CHAIR) -> None:
    """The chair writes the four sections and submits the report for sign-off, which
    freezes it."""
    for section in SECTIONS:
        text = f"The panel's {section.replace('_', ' ')}, from the moderated findings."
        northdale.oscp("report", "draft", audit, "--section", section, "--text", text, as_=author)
    northdale.fire(audit, "submit_for_sign_off", as_=author)
    assert "already frozen" in northdale.oscp("report", "freeze", audit, as_=author)


def sign_off(northdale: Partnership, audit: str, *members: str) -> None:
    """Each member opens their sign-off link and approves."""
    northdale.send_mail()
    for member in members:
        link = northdale.link(at(member), audit=audit, subject=SIGN_OFF_REQUESTED)
        decided = northdale.web.submit(link, answers={"decision": "approve"})
        assert decided.status_code == 200 and "Decision recorded" in decided.text, decided.text


def add_action(northdale: Partnership, audit: str, *, owner: str, as_: str = CHAIR) -> str:
    """A recommendation becomes an action for ``owner``, due in eight weeks; its number."""
    due = (northdale.today() + timedelta(weeks=8)).isoformat()
    said = "Share strategy meeting minutes with every agency invited."
    typed = ("--owner", owner, "--due", due, "--recommendation", said)
    return northdale.oscp("action", "add", audit, *typed, as_=as_).split()[1]


def evidence_by_link(
    northdale: Partnership, audit: str, number: str, *, lead: str, accepted_by: str
) -> None:
    """The owner agency's lead says action ``number`` is under way and sends its evidence from
    the link they were e-mailed; a learning hub member accepts the evidence."""
    northdale.send_mail()
    link = northdale.link(at(lead), audit=audit, subject=ACTION_ASSIGNED)
    started = northdale.web.submit(link, which={"step": "start"}, answers={"under_way": "yes"})
    assert started.status_code == 200 and "under way" in started.text, started.text
    sent = northdale.web.submit(link, which={"step": "evidence"})
    assert sent.status_code == 200 and "Evidence sent" in sent.text, sent.text
    assert "evidence submitted" in northdale.oscp("action", "list", audit, as_=accepted_by)
    northdale.oscp("action", "accept", audit, number, as_=accepted_by)


def share_and_monitor(northdale: Partnership, audit: str) -> None:
    """The coordinator records everything the audit must share, then starts monitoring."""
    blocked = northdale.oscp(
        "audit", "fire", audit, "start_impact_monitoring", as_=COORDINATOR, code=1
    )
    assert "dissemination_recorded" in blocked
    assert northdale.share_everything(audit)
    northdale.fire(audit, "start_impact_monitoring")
    assert northdale.state(audit) == "impact_monitoring"


def close(northdale: Partnership, audit: str) -> None:
    northdale.fire(audit, "close")
    assert northdale.state(audit) == "closed"
