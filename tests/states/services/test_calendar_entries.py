"""Deadlines as calendar entries, on the engine's side and on both stores: an entry is made and
held as the e-mail asking for the work is queued; an extension raises its sequence and tells
those holding it; a return in, a decision given, assurance recorded, a person removed or the
audit withdrawn takes it back from exactly those who held it, once each."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Row, select

from states.clock import LONDON
from states.persistence import tables as t
from states.services import actions, audits, people, work
from states.services.deps import Deps
from tests.support.driver import Cast, Driver, drive
from tests.support.partnership import email

LEADS = ("lead.police", "lead.csc", "lead.health")


def _outbox(deps: Deps, kind: str) -> Sequence[Row[Any, Any, Any]]:
    with deps.uow(readonly=True) as uow:
        return uow.connection.execute(
            select(t.outbox.c.recipient_id, t.outbox.c.context, t.person.c.email)
            .join(t.person, t.person.c.id == t.outbox.c.recipient_id)
            .where(t.outbox.c.kind == kind)
            .order_by(t.outbox.c.id)
        ).all()


def _entries(deps: Deps) -> Sequence[Row[Any]]:
    with deps.uow(readonly=True) as uow:
        return uow.connection.execute(
            select(t.deadline_entry).order_by(t.deadline_entry.c.id)
        ).all()


def _holding(deps: Deps, entry_id: int) -> set[str]:
    h = t.deadline_entry_holder
    with deps.uow(readonly=True) as uow:
        return set(
            uow.connection.execute(
                select(t.person.c.email)
                .join(h, h.c.person_id == t.person.c.id)
                .where(h.c.entry_id == entry_id, h.c.released_at.is_(None))
            ).scalars()
        )


def _to(deps: Deps, kind: str) -> list[str]:
    return sorted(row.email for row in _outbox(deps, kind))


def _to_about(deps: Deps, kind: str, entry_id: int) -> list[str]:
    rows = _outbox(deps, kind)
    return sorted(r.email for r in rows if json.loads(r.context)["calendar_entry"] == str(entry_id))


def _at_returns(deps: Deps) -> Driver:
    driver = Driver.start(deps, "section_11", theme="Calendars")
    driver.advance("returns_open")
    return driver


def test_a_return_request_carries_one_entry_held_by_those_asked(partnership: Deps) -> None:
    driver = _at_returns(partnership)
    asked = _outbox(partnership, "return_requested")
    (entry,) = _entries(partnership)
    assert {row.email for row in asked} == {email(p) for p in LEADS}
    assert {json.loads(row.context)["calendar_entry"] for row in asked} == {str(entry.id)}
    assert entry.sequence == 0 and entry.due == "return" and entry.ended_at is None
    assert driver.reference in entry.uid_token
    assert _holding(partnership, entry.id) == {email(p) for p in LEADS}


def test_an_extension_moves_the_entry_for_everyone_holding_it(partnership: Deps) -> None:
    driver = _at_returns(partnership)
    due = work.extend_deadline(
        partnership,
        audit=driver.reference,
        actor=email("coordinator"),
        until=date(2026, 5, 29),
        reason="Half term",
    )
    (entry,) = _entries(partnership)
    assert entry.sequence == 1 and entry.due_at.replace(tzinfo=due.tzinfo) == due
    moved = _outbox(partnership, "deadline_moved")
    assert sorted(row.email for row in moved) == sorted(email(p) for p in LEADS)
    assert {json.loads(row.context)["deadline_at"] for row in moved} == {due.isoformat()}
    assert {json.loads(row.context)["calendar_entry"] for row in moved} == {str(entry.id)}


def test_a_return_in_cancels_that_agencys_entry_and_withdrawal_the_rest(
    partnership: Deps,
) -> None:
    driver = _at_returns(partnership)
    driver.cast = Cast(returning={"police": "lead.police"})
    driver.collect_returns()
    (entry,) = _entries(partnership)
    assert _to(partnership, "deadline_cancelled") == [email("lead.police")]
    assert _holding(partnership, entry.id) == {email("lead.csc"), email("lead.health")}
    assert entry.sequence == 1
    audits.fire(
        partnership,
        audit=driver.reference,
        trigger="withdraw",
        actor=email("coordinator"),
        reason="Merged into another audit",
    )
    (entry,) = _entries(partnership)
    # Each told once: the police's lead was told when their return went in, never again.
    assert _to(partnership, "deadline_cancelled") == sorted(email(p) for p in LEADS)
    assert entry.ended_at is not None and entry.sequence == 2
    assert _holding(partnership, entry.id) == set()


def test_nobody_who_never_held_an_entry_is_told_it_moved_or_ended(partnership: Deps) -> None:
    driver = Driver.start(partnership, "section_11", theme="No entry yet")
    driver.advance("tool_issued")
    audits.fire(
        partnership,
        audit=driver.reference,
        trigger="withdraw",
        actor=email("coordinator"),
        reason="Not needed",
    )
    assert _entries(partnership) == []
    assert _outbox(partnership, "deadline_cancelled") == []


def test_a_removed_person_has_their_entry_taken_back(partnership: Deps) -> None:
    _at_returns(partnership)
    people.deactivate_person(
        partnership, person=email("lead.csc"), actor=email("coordinator"), reason="Left"
    )
    (entry,) = _entries(partnership)
    assert _to(partnership, "deadline_cancelled") == [email("lead.csc")]
    assert _holding(partnership, entry.id) == {email("lead.police"), email("lead.health")}


def test_assurance_given_cancels_the_concerns_entry_for_all_who_hold_it(
    partnership: Deps,
) -> None:
    driver = _at_returns(partnership)
    raised = work.raise_immediate_risk(
        partnership,
        audit=driver.reference,
        actor=email("chair"),
        agency="police",
        concern="Unsafe practice",
    )
    concern = next(e for e in _entries(partnership) if e.escalation_id == raised)
    told = set(_to(partnership, "immediate_risk_raised"))
    assert concern.due == "assurance" and _holding(partnership, concern.id) == told
    work.record_assurance(
        partnership,
        audit=driver.reference,
        actor=email("lsp.police"),
        escalation_id=raised,
        assurance="Reviewed and acted on",
    )
    cancelled = _outbox(partnership, "deadline_cancelled")
    assert {r.email for r in cancelled} == told
    assert {json.loads(r.context)["calendar_entry"] for r in cancelled} == {str(concern.id)}
    # The returns' entry is untouched.
    returns = next(e for e in _entries(partnership) if e.deadline_id is not None)
    assert returns.ended_at is None and returns.sequence == 0


def test_a_members_decision_cancels_their_sign_off_entry_only(partnership: Deps) -> None:
    driver = Driver.start(partnership, "section_11", theme="Sign-off entries")
    driver.advance("awaiting_sign_off")
    asked = set(_to(partnership, "sign_off_requested"))
    (entry,) = [e for e in _entries(partnership) if e.due == "sign_off"]
    assert _holding(partnership, entry.id) == asked and email("lhm") in asked
    work.record_sign_off_decision(
        partnership, audit=driver.reference, actor=email("lhm"), decision="approve"
    )
    assert _to_about(partnership, "deadline_cancelled", entry.id) == [email("lhm")]
    assert _holding(partnership, entry.id) == asked - {email("lhm")}


def test_an_actions_new_date_moves_its_entry_and_acceptance_ends_it(partnership: Deps) -> None:
    reference = drive(partnership, "mace", to="actions_agreed", theme="Action entries").reference
    today = partnership.clock.now().astimezone(LONDON).date()
    number = actions.add_action(
        partnership,
        audit=reference,
        actor=email("chair"),
        recommendation="Review the referral pathway",
        owner="police",
        due_on=today + timedelta(days=30),
    )
    (entry,) = [e for e in _entries(partnership) if e.due == "action"]
    owners = set(_to(partnership, "action_assigned"))
    assert email("lead.police") in owners and _holding(partnership, entry.id) == owners
    actions.change_due_date(
        partnership,
        audit=reference,
        actor=email("chair"),
        number=number,
        due_on=today + timedelta(days=45),
    )
    moved = _outbox(partnership, "deadline_moved")
    assert (
        set(_to_about(partnership, "deadline_moved", entry.id))
        == owners
        == {r.email for r in moved}
    )
    assert {json.loads(r.context)["action"] for r in moved} == {str(number)}
    actions.set_status(
        partnership,
        audit=reference,
        actor=email("lead.police"),
        number=number,
        status="evidence_submitted",
        evidence="Referrals sampled",
    )
    # Under review the entry stays: the evidence may yet be sent back.
    assert _to_about(partnership, "deadline_cancelled", entry.id) == []
    actions.accept_evidence(partnership, audit=reference, actor=email("lhm"), number=number)
    assert set(_to_about(partnership, "deadline_cancelled", entry.id)) == owners
    (entry,) = [e for e in _entries(partnership) if e.due == "action"]
    assert entry.ended_at is not None and entry.sequence == 2


def test_further_assurance_asked_for_is_an_entry_until_the_report_goes_back(
    partnership: Deps,
) -> None:
    driver = Driver.start(partnership, "section_11", theme="Further assurance entries")
    driver.advance("further_assurance_requested")
    (asked,) = _outbox(partnership, "further_assurance_requested")
    context = json.loads(asked.context)
    assert asked.email == email("chair") and "deadline_at" in context
    (entry,) = [e for e in _entries(partnership) if e.due == "further_assurance"]
    assert context["calendar_entry"] == str(entry.id)
    assert _holding(partnership, entry.id) == {email("chair")}
    driver.advance("awaiting_sign_off")
    assert _to_about(partnership, "deadline_cancelled", entry.id) == [email("chair")]
    assert _holding(partnership, entry.id) == set()
