"""Immediate-risk concerns: notified at once, due within the declared working days, visible,
and blocking the audit's close until the agency gives assurance."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from states.clock import LONDON, FakeClock
from states.errors import GateBlocked, InvalidInput
from states.persistence import tables as t
from states.services import audits, queries, work
from states.services.deps import Deps
from tests.support.driver import Driver
from tests.support.partnership import agency_name, email


def test_a_concern_is_notified_tracked_and_blocks_closing(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = audits.start_audit(
        deps, audit_type="mace", theme="Escalation", lead=email("chair"), actor=email("coordinator")
    ).reference
    driver = Driver(deps, reference, started_on=clock.now().astimezone(LONDON).date())
    driver.advance("returns_open")
    escalation = work.raise_immediate_risk(
        deps,
        audit=reference,
        actor=email("auditor.two"),
        agency="police",
        concern="Unsafe practice: a strategy discussion did not happen",
    )
    with deps.uow(readonly=True) as uow:
        notified = set(
            uow.connection.execute(
                select(t.person.c.email)
                .join(t.outbox, t.outbox.c.recipient_id == t.person.c.id)
                .where(
                    t.outbox.c.kind == "immediate_risk_raised", t.outbox.c.subject_id == escalation
                )
            ).scalars()
        )
        due = uow.connection.execute(
            select(t.escalation.c.assurance_due_at).where(t.escalation.c.id == escalation)
        ).scalar_one()
    # The police strategic lead and the audit's chair, at once.
    assert notified == {email("lsp.police"), email("chair")}
    # Raised on Monday 2 March 2026: two working days later, at 17:00 London time (GMT).
    assert due.replace(tzinfo=UTC) == datetime(2026, 3, 4, 17, 0, tzinfo=UTC)

    shown = queries.audit_status(deps, audit=reference, as_person=email("coordinator"))
    assert [(e.id, e.agency, e.assured_at) for e in shown.escalations] == [
        (escalation, agency_name("police"), None)
    ]
    driver.advance("impact_monitoring")
    with pytest.raises(GateBlocked, match=f"still await assurance from {agency_name('police')}"):
        audits.fire(deps, audit=reference, trigger="close", actor=email("coordinator"))
    work.record_assurance(
        deps,
        audit=reference,
        actor=email("chair"),
        escalation_id=escalation,
        assurance="Strategy discussion held; practice reminder issued",
    )
    assert (
        audits.fire(deps, audit=reference, trigger="close", actor=email("coordinator")).to_state
        == "closed"
    )


def test_only_some_people_raise_concerns_and_they_must_say_what(partnership: Deps) -> None:
    deps = partnership
    reference = audits.start_audit(
        deps, audit_type="mace", theme="Escalation", lead=email("chair"), actor=email("coordinator")
    ).reference
    with pytest.raises(InvalidInput, match="Describe the concern"):
        work.raise_immediate_risk(
            deps, audit=reference, actor=email("chair"), agency="police", concern="  "
        )
    with pytest.raises(GateBlocked, match="role_allowed"):
        work.raise_immediate_risk(
            deps, audit=reference, actor=email("lead.police"), agency="police", concern="A worry"
        )
    assert [e.trigger for e in queries.history(deps, audit=reference)] == ["start"]
