"""An agency or setting with no active agency lead is never asked silently (issue 15, item 10):
starting the audit names it, and when returns open the coordinators, and only they, are
e-mailed once per audit with its name, which the audit's history notes too."""

from __future__ import annotations

import json

from sqlalchemy import select

from states.persistence import tables as t
from states.rules.return_progress import ReturnProgress
from states.services import audits, queries, returns, work
from states.services.deps import Deps
from states.services.returns_status import returns_status
from states.services.unasked import KIND
from tests.support.driver import RETURNING, Cast, Driver, complete_answers
from tests.support.partnership import agency_name, email

COORDINATOR = email("coordinator")
EARLY_YEARS = agency_name("early_years")  # no one in the tests' partnership leads it
NOTE = f"No active agency lead to ask for a return: {EARLY_YEARS}."


def _messages(deps: Deps, reference: str, kind: str) -> list[tuple[str, dict[str, str]]]:
    """(recipient's e-mail, context) of each ``kind`` message queued for the audit."""
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.person.c.email, t.outbox.c.context)
            .join(t.outbox, t.outbox.c.recipient_id == t.person.c.id)
            .join(t.audit, t.audit.c.id == t.outbox.c.audit_id)
            .where(t.audit.c.reference == reference, t.outbox.c.kind == kind)
            .order_by(t.outbox.c.id)
        )
        return [(address, json.loads(context)) for address, context in rows]


def _reasons(deps: Deps, reference: str) -> dict[str, list[str | None]]:
    reasons: dict[str, list[str | None]] = {}
    for event in queries.history(deps, audit=reference):
        reasons.setdefault(event.trigger, []).append(event.reason)
    return reasons


def test_starting_names_each_agency_nobody_can_ask(partnership: Deps) -> None:
    fired = audits.start_audit(
        partnership,
        audit_type="section_11",
        theme="Nobody to ask",
        lead=email("chair"),
        actor=COORDINATOR,
        agencies=["police", "early_years"],
    )
    assert fired.unasked == (EARLY_YEARS,)
    assert _reasons(partnership, fired.reference)["start"] == [NOTE]
    everyone = audits.start_audit(
        partnership,
        audit_type="section_11",
        theme="All led",
        lead=email("chair"),
        actor=COORDINATOR,
        agencies=["police", "schools"],
    )
    assert everyone.unasked == ()
    assert _reasons(partnership, everyone.reference)["start"] == [None]


def test_the_coordinators_alone_are_told_once_per_audit(partnership: Deps) -> None:
    deps = partnership
    # The coordinator enters the early years' return: nobody there can be asked for it.
    cast = Cast(returning={**RETURNING, "early_years": "coordinator"})
    fired = audits.start_audit(
        deps,
        audit_type="deep_dive",
        theme="Nobody to ask",
        lead=email("chair"),
        actor=COORDINATOR,
        agencies=["early_years"],
    )
    driver = Driver(deps, fired.reference, cast=cast)
    driver.advance("returns_open")

    told = _messages(deps, fired.reference, KIND)
    assert [address for address, _ in told] == [COORDINATOR]
    assert told[0][1]["agencies"] == EARLY_YEARS
    assert set(told[0][1]) <= {
        "audit",
        "theme",
        "link_path",
        "state_title",
        "agencies",
        "deadline_at",
    }
    requests = _messages(deps, fired.reference, "return_requested")
    assert all("agencies" not in context for _, context in requests)
    asked = {address for address, _ in requests}
    assert asked == {email(local) for local in RETURNING.values()}
    assert _reasons(deps, fired.reference)["open_returns"] == [NOTE]
    early = next(
        a
        for a in returns_status(deps, audit=fired.reference, as_person=COORDINATOR).agencies
        if a.code == "early_years"
    )
    assert (early.has_lead, early.status) == (False, ReturnProgress.NOT_REQUESTED)

    # A return entered, reopened and a second round opened: still the one e-mail.
    tool = deps.catalogue.tool("deep_dive")
    assert tool is not None
    returns.submit(
        deps,
        audit=fired.reference,
        actor=COORDINATOR,
        agency="early_years",
        answers=complete_answers(tool),
    )
    returns.reopen(
        deps, audit=fired.reference, actor=COORDINATOR, agency="early_years", reason="Dates"
    )
    driver.advance("further_assurance_requested")
    driver.fire("request_further_evidence")
    assert len(_messages(deps, fired.reference, KIND)) == 1
    # The person's own reason first, then the note.
    again = _reasons(deps, fired.reference)["request_further_evidence"]
    assert again == [f"Recorded by the test driver ({NOTE})"]


def test_an_agency_given_a_lead_is_asked_and_nobody_is_told(partnership: Deps) -> None:
    deps = partnership
    driver = Driver.start(deps, "section_11")
    driver.invite_agencies()
    work.invite_agencies(deps, audit=driver.reference, actor=COORDINATOR, agencies=["schools"])
    driver.advance("returns_open")
    assert _messages(deps, driver.reference, KIND) == []
    assert _reasons(deps, driver.reference)["open_returns"] == [None]
