"""Withdrawing an audit tells its chair and the agencies taking part (issue 16, item 11), on
both stores: one e-mail each, to the chair and every taking-part agency's leads, saying it is
withdrawn and never why (the reason stays in the history); after it, no reminder goes out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from notifications.relay import relay
from states.clock import FakeClock
from states.persistence import tables as t
from states.services import audits, queries
from states.services.deps import Deps
from states.services.sweep import sweep
from tests.support.driver import drive
from tests.support.partnership import email
from tests.support.relay import CONFIG
from tests.support.smtp import Recorder, mailer, smtp_server, text_of

REASON = "Merged into the Qwertyson thematic review after the Zebedee case conference"


def _relayed(deps: Deps) -> Recorder:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        relay(deps, mailer(port), config=CONFIG, batch=500)
    return recorder


def test_the_chair_and_each_agency_lead_are_told_once_without_the_reason(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = drive(deps, "mace", "returns_open").reference
    _relayed(deps)  # what the audit sent before
    audits.fire(
        deps, audit=reference, trigger="withdraw", actor=email("coordinator"), reason=REASON
    )
    with deps.uow(readonly=True) as uow:
        told = sorted(
            uow.connection.execute(
                select(t.person.c.email)
                .join(t.outbox, t.outbox.c.recipient_id == t.person.c.id)
                .where(t.outbox.c.kind == "audit_withdrawn")
            ).scalars()
        )
    assert told == sorted(email(p) for p in ("chair", "lead.police", "lead.csc", "lead.health")), (
        "the chair and each taking-part agency's leads, once each"
    )
    relayed = _relayed(deps).received
    # The returns' deadline also leaves the leads' calendars (test_deadline_calendar.py),
    # in messages of their own that never carry the reason either.
    cancelled = [m for m in relayed if str(m["Subject"]).startswith("No longer needed")]
    assert sorted(m["To"].addresses[0].addr_spec for m in cancelled) == told[1:]
    assert all("Merged" not in m.as_string() for m in cancelled)
    received = [m for m in relayed if m not in cancelled]
    assert sorted(m["To"].addresses[0].addr_spec for m in received) == told
    for message in received:
        whole = message.as_string()
        assert str(message["Subject"]) == f"OSCP audit {reference} (Driven) has been withdrawn"
        assert "Qwertyson" not in whole and "Zebedee" not in whole and "Merged" not in whole
        # Agencies cannot open the audit's page: their e-mail says so instead of linking to it.
        signs_in = message["To"].addresses[0].addr_spec == email("chair")
        assert (f"/audits/{reference}" in text_of(message)) == signs_in
    assert queries.history(deps, audit=reference)[-1].reason == REASON

    clock.advance(timedelta(days=60))
    assert sweep(deps).messages == 0, "a withdrawn audit's reminders stop"
