"""Every message the engine queues, in every audit type's whole cycle and its reminder ladders,
renders with the templates: the contexts the services write and the templates' needs agree."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from notifications.render import render_message
from states.clock import FakeClock
from states.persistence import tables as t
from states.persistence.notices import KINDS
from states.rules.throttling import FREE_TRIES
from states.services import actions, audits, meetings, sign_ins, work
from states.services.deps import Deps
from states.services.letters import send_feedback_letters
from states.services.sweep import sweep
from tests.oscp_flow.web.support import person
from tests.support.driver import Driver, drive
from tests.support.meetings import at_moderation, plan
from tests.support.partnership import email, give_passwords, person_name
from tests.support.reporting import s175_with_letters


def test_every_queued_message_renders(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    for audit_type in deps.catalogue.audit_types:
        drive(deps, audit_type, to="closed", theme=f"Cycle of {audit_type}")
    open_one = drive(deps, "mace", to="returns_open").reference
    concern = work.raise_immediate_risk(
        deps, audit=open_one, actor=email("chair"), agency="police", concern="Unsafe practice"
    )
    work.record_assurance(
        deps,
        audit=open_one,
        actor=email("chair"),
        escalation_id=concern,
        assurance="Reviewed the same day",
    )
    drive(deps, "mace", to="awaiting_sign_off")
    drive(deps, "section_11", to="further_assurance_requested")
    _evidence_sent_back(deps, drive(deps, "mace", to="impact_monitoring").reference)
    send_feedback_letters(deps, audit=s175_with_letters(deps), actor=email("coordinator"))
    _nobody_to_ask(deps)
    withdrawn = drive(deps, "section_11", to="returns_open", theme="Withdrawn").reference
    # Its returns' deadline moves before it is withdrawn: the calendar entry's update.
    work.extend_deadline(
        deps,
        audit=withdrawn,
        actor=email("coordinator"),
        until=clock.now().date() + timedelta(days=60),
        reason="Agreed",
    )
    audits.fire(
        deps, audit=withdrawn, trigger="withdraw", actor=email("coordinator"), reason="Merged"
    )
    _wrong_passwords(deps)
    _discussion_arranged_moved_and_cancelled(deps, clock)
    for _ in range(60):  # a sweep every day, so every rung of the ladders is sent in its turn
        clock.advance(timedelta(days=1))
        sweep(deps)
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(select(t.outbox.c.kind, t.outbox.c.context)).all()
    kinds = Counter(kind for kind, _ in rows)
    assert set(kinds) == set(KINDS), "every kind of message is exercised"
    for kind, context in rows:
        message = render_message(
            kind,
            json.loads(context),
            recipient_name=person_name("lhm"),
            base_url="https://oscp.example.org",
        )
        assert message.subject and message.text and message.html


def _discussion_arranged_moved_and_cancelled(deps: Deps, clock: FakeClock) -> None:
    reference = at_moderation(deps, theme="Discussed").reference
    day = clock.now().date() + timedelta(days=14)
    meetings.schedule(deps, audit=reference, actor=email("chair"), plan=plan(day))
    later = plan(day, "13:00", "15:00", who=("chair", "lead.police"))
    meetings.move(deps, audit=reference, actor=email("chair"), plan=later)
    meetings.cancel(deps, audit=reference, actor=email("chair"), reason="Unwell")


def _nobody_to_ask(deps: Deps) -> None:
    """Returns open on an audit one of whose agencies has no agency lead (the coordinators
    are told)."""
    fired = audits.start_audit(
        deps,
        audit_type="section_11",
        theme="Nobody to ask",
        lead=email("chair"),
        actor=email("coordinator"),
        agencies=["early_years"],
    )
    Driver(deps, fired.reference).advance("returns_open")


def _wrong_passwords(deps: Deps) -> None:
    """Enough wrong passwords for the coordinator to be told of them."""
    give_passwords(deps, "a long demo passphrase")
    for _ in range(FREE_TRIES):
        sign_ins.record_failure(
            deps,
            email=email("coordinator"),
            address="203.0.113.1",
            holder=person(deps, "coordinator"),
        )


def _evidence_sent_back(deps: Deps, reference: str) -> None:
    due = deps.clock.now().date() + timedelta(days=40)
    number = actions.add_action(
        deps,
        audit=reference,
        actor=email("chair"),
        recommendation="Audit the use of chronologies again in six months.",
        owner="police",
        due_on=due,
    )
    actions.set_status(
        deps,
        audit=reference,
        actor=email("lead.police"),
        number=number,
        status="evidence_submitted",
        evidence="A new chronology template.",
    )
    actions.refuse_evidence(
        deps, audit=reference, actor=email("lhm"), number=number, reason="Show its use."
    )
