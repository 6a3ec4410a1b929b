"""Action links: the owner agency's leads start an action and send its evidence from the
e-mail; the link is bound to the action (not to the audit's stage), used up by the evidence,
refused once the action has moved on, and reaches nobody else's action."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from states.clock import LONDON, FakeClock
from states.errors import (
    TokenAlreadyUsed,
    TokenError,
    TokenExpired,
    TokenInvalid,
    TokenRevoked,
)
from states.persistence import tables as t
from states.persistence.store import AuditStore
from states.persistence.vocabulary import LinkPurpose
from states.services import action_links, actions, links, minting, queries
from states.services.deps import Deps
from states.services.sweep import sweep
from tests.oscp_flow.web.support import token_events
from tests.support.driver import Driver, drive
from tests.support.partnership import agency_name, email

WORDS = "Review the referral pathway with the front door team"


def _today(deps: Deps) -> date:
    return deps.clock.now().astimezone(LONDON).date()


def _plan(deps: Deps, *owners: str, days: int = 30) -> tuple[str, Driver]:
    """A signed-off audit with one action per owner, and the driver to move it on."""
    driver = drive(deps, "mace", to="actions_agreed")
    reference = driver.reference
    for owner in owners:
        actions.add_action(
            deps,
            audit=reference,
            actor=email("chair"),
            recommendation=f"{WORDS} ({owner})",
            owner=owner,
            due_on=_today(deps) + timedelta(days=days),
        )
    return reference, driver


def _ids(deps: Deps, reference: str, local: str, number: int) -> tuple[int, int, int]:
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        audit_id = store.load_audit(reference).id
        action_id = uow.connection.execute(
            select(t.action.c.id).where(
                t.action.c.audit_id == audit_id, t.action.c.number == number
            )
        ).scalar_one()
        return audit_id, store.load_actor(email(local)).id, int(action_id)


def _mint(deps: Deps, reference: str, local: str, number: int = 1) -> str | None:
    audit_id, person_id, action_id = _ids(deps, reference, local, number)
    return minting.mint(
        deps,
        purpose=LinkPurpose.ACTION,
        audit_id=audit_id,
        person_id=person_id,
        action_id=action_id,
    )


def _link(deps: Deps, reference: str, local: str = "lead.police", number: int = 1) -> str:
    token = _mint(deps, reference, local, number)
    assert token is not None
    return token


def _status(deps: Deps, reference: str, number: int = 1) -> str:
    plan = actions.list_actions(deps, audit=reference, as_person=email("coordinator"))
    return next(a.status for a in plan if a.number == number)


def test_the_owner_starts_the_action_and_sends_evidence_by_link(partnership: Deps) -> None:
    deps = partnership
    reference, _ = _plan(deps, "police")
    token = _link(deps, reference)

    page = action_links.open_action_link(deps, token)
    assert (page.audit, page.number, page.status) == (reference, 1, "open")
    assert page.recommendation == f"{WORDS} (police)" and page.agency == agency_name("police")
    assert page.due_on == _today(deps) + timedelta(days=30)
    assert page.expires_at.astimezone(LONDON).date() > page.due_on

    action_links.start_by_link(deps, token)  # the link stays usable for the evidence
    assert _status(deps, reference) == "in_progress"
    action_links.submit_evidence_by_link(deps, token, evidence="Twenty referrals sampled.")
    assert _status(deps, reference) == "evidence_submitted"
    with pytest.raises(TokenAlreadyUsed):
        action_links.submit_evidence_by_link(deps, token, evidence="Again.")
    assert token_events(deps, "replayed") == 1

    triggers = [e.trigger for e in queries.history(deps, audit=reference)][-2:]
    assert triggers == ["start_action", "submit_action_evidence"]
    assert all(WORDS not in (e.reason or "") for e in queries.history(deps, audit=reference))


def test_evidence_sent_back_reopens_the_way_with_a_new_link(partnership: Deps) -> None:
    deps = partnership
    reference, _ = _plan(deps, "police")
    action_links.submit_evidence_by_link(deps, _link(deps, reference), evidence="A policy.")
    # Under review nothing is owed, so no link is minted.
    assert _mint(deps, reference, "lead.police") is None
    actions.refuse_evidence(
        deps, audit=reference, actor=email("lhm"), number=1, reason="Show it in practice."
    )
    token = _link(deps, reference, "lsp.police")  # the strategic lead may act too
    page = action_links.open_action_link(deps, token)
    assert (page.status, page.review_note) == ("in_progress", "Show it in practice.")
    action_links.submit_evidence_by_link(deps, token, evidence="Case sample of twenty.")
    actions.accept_evidence(deps, audit=reference, actor=email("lhm"), number=1)
    assert _status(deps, reference) == "accepted"


def test_a_link_is_refused_once_the_action_has_moved_on(partnership: Deps) -> None:
    deps = partnership
    reference, _ = _plan(deps, "police")
    first, second = _link(deps, reference), _link(deps, reference, "lsp.police")
    action_links.submit_evidence_by_link(deps, first, evidence="Done.")
    # The evidence withdrew the colleague's link (so a send-back cannot revive it).
    with pytest.raises(TokenRevoked, match="evidence for action 1 has been sent"):
        action_links.open_action_link(deps, second)
    with pytest.raises(TokenRevoked):
        action_links.start_by_link(deps, second)
    assert token_events(deps, "revoked") == 2


def test_a_link_outlives_the_stage_but_not_the_audit(partnership: Deps) -> None:
    deps = partnership
    reference, driver = _plan(deps, "police")
    token = _link(deps, reference)
    driver.advance("impact_monitoring")
    assert queries.audit_status(deps, audit=reference, as_person=email("chair")).state == (
        "impact_monitoring"
    )
    assert action_links.open_action_link(deps, token).status == "open"
    actions.set_status(
        deps, audit=reference, actor=email("chair"), number=1, status="withdrawn", reason="Moot."
    )
    with pytest.raises(TokenRevoked, match="action 1 is withdrawn"):
        action_links.open_action_link(deps, token)


def test_only_the_owner_agencys_leads_get_a_link_and_only_to_their_action(
    partnership: Deps,
) -> None:
    deps = partnership
    reference, _ = _plan(deps, "police", "csc")
    assert _mint(deps, reference, "lead.csc", number=1) is None  # not their agency's action
    assert _mint(deps, reference, "chair", number=1) is None  # not an agency lead
    assert _mint(deps, reference, "lhm", number=2) is None
    csc = _link(deps, reference, "lead.csc", number=2)
    page = action_links.open_action_link(deps, csc)
    assert page.number == 2 and "(csc)" in page.recommendation
    action_links.submit_evidence_by_link(deps, csc, evidence="Pathway reviewed.")
    assert (_status(deps, reference, 1), _status(deps, reference, 2)) == (
        "open",
        "evidence_submitted",
    )


def test_a_lead_who_loses_the_role_can_no_longer_act(partnership: Deps) -> None:
    deps = partnership
    reference, _ = _plan(deps, "police")
    token = _link(deps, reference)
    with deps.uow() as uow:
        person = AuditStore(uow.connection).load_actor(email("lead.police")).id
        uow.connection.execute(t.role.delete().where(t.role.c.person_id == person))
        uow.commit()
    # The link re-checks its holder: refused as a link, before the action is looked at.
    with pytest.raises(TokenRevoked, match="no longer hold a role"):
        action_links.submit_evidence_by_link(deps, token, evidence="Done.")
    assert _status(deps, reference) == "open"


def test_expired_forged_and_wrong_purpose_links_are_refused(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference, _ = _plan(deps, "police", days=5)
    token = _link(deps, reference)
    with pytest.raises(TokenInvalid):
        action_links.open_action_link(deps, token[:-1] + ("A" if token[-1] != "A" else "B"))
    with pytest.raises(TokenInvalid):
        links.open_link(deps, token, purpose=LinkPurpose.RETURN)
    with pytest.raises(TokenInvalid):
        action_links.open_action_link(deps, "short")
    clock.advance(timedelta(days=60))
    with pytest.raises(TokenExpired):
        action_links.submit_evidence_by_link(deps, token, evidence="Late.")
    assert _status(deps, reference) == "open"
    assert token_events(deps, "expired") == 1


def test_many_clicks_at_once_record_the_evidence_once(partnership: Deps) -> None:
    deps = partnership
    reference, _ = _plan(deps, "police")
    tokens_ = [_link(deps, reference), _link(deps, reference, "lsp.police")]
    barrier = threading.Barrier(20)

    def click(token: str) -> str:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=30)
        try:
            action_links.submit_evidence_by_link(deps, token, evidence="Sampled twenty.")
        except TokenError as refused:
            return type(refused).__name__
        return "recorded"

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(click, tokens_ * 20))
    assert outcomes.count("recorded") == 1
    assert set(outcomes) - {"recorded"} <= {"TokenAlreadyUsed", "TokenRevoked"}
    submitted = [
        e for e in queries.history(deps, audit=reference) if e.trigger == "submit_action_evidence"
    ]
    assert len(submitted) == 1


def test_reminders_bring_the_owners_a_link_and_the_chair_the_audit_page(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference, _ = _plan(deps, "police", days=10)
    _, _, action_id = _ids(deps, reference, "lead.police", 1)
    for _ in range(30):  # every rung of the ladder, a day at a time
        clock.advance(timedelta(days=1))
        sweep(deps)
    statement = (
        select(t.outbox.c.kind, t.person.c.email, t.outbox.c.link_purpose, t.outbox.c.subject_id)
        .join(t.person, t.person.c.id == t.outbox.c.recipient_id)
        .where(t.outbox.c.kind.in_(("action_assigned", "reminder", "overdue", "escalation")))
    )
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(statement).all()
    owners = {email("lead.police"), email("lsp.police")}
    assert {kind for kind, *_ in rows} == {"action_assigned", "reminder", "overdue", "escalation"}
    for _, to, purpose, subject in rows:
        assert (purpose, subject) == (("action", action_id) if to in owners else (None, action_id))
    assert {to for _, to, purpose, _ in rows if purpose is None} == {email("chair")}
