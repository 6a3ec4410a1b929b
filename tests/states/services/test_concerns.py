"""Immediate-risk concerns that reach the agency (issue 16, items 7 and 8), on both stores.

The agency's strategic lead is told with a link to read the concern and respond; an agency
without one is told through its agency leads, with the coordinators; an agency nobody can be
told of is the target only when a coordinator confirms why. Raising says who is told. The
words are read only behind the agency's link or, by the chair and coordinators, on the audit
page, and every read is kept."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from states.errors import InvalidInput, PermissionDenied, TokenRevoked
from states.persistence import tables as t
from states.persistence.vocabulary import LinkPurpose
from states.services import concern_reads, concerns, links, minting, queries, work
from states.services import partnership as seeding
from states.services.deps import Deps
from tests.support.driver import drive
from tests.support.partnership import agency_name, email, person_name

WORDS = "Unsafe practice: a strategy discussion did not happen for case C01"


def _told(deps: Deps, escalation: int) -> dict[str, str | None]:
    """Each person e-mailed about the concern, and the link their e-mail carries."""
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.person.c.email, t.outbox.c.link_purpose, t.outbox.c.context)
            .join(t.outbox, t.outbox.c.recipient_id == t.person.c.id)
            .where(t.outbox.c.kind == "immediate_risk_raised", t.outbox.c.subject_id == escalation)
        ).all()
    for _, _, context in rows:
        assert "strategy discussion" not in context, "an e-mail never carries the words"
        # The calendar entry is named by its number only (notifications/deadline_calendar.py).
        allowed = {"audit", "theme", "link_path", "agency", "deadline_at", "calendar_entry"}
        assert set(json.loads(context)) <= allowed
    return {address: purpose for address, purpose, _ in rows}


def _link(deps: Deps, reference: str, local: str, escalation: int) -> str | None:
    with deps.uow(readonly=True) as uow:
        audit_id = uow.connection.execute(
            select(t.audit.c.id).where(t.audit.c.reference == reference)
        ).scalar_one()
        person = uow.connection.execute(
            select(t.person.c.id).where(t.person.c.email == email(local))
        ).scalar_one()
    return minting.mint(
        deps,
        purpose=LinkPurpose.ASSURANCE,
        audit_id=audit_id,
        person_id=person,
        escalation_id=escalation,
    )


def test_the_strategic_lead_is_told_with_a_link_and_raising_says_who(partnership: Deps) -> None:
    reference = drive(partnership, "mace", "returns_open").reference
    raised = concerns.raise_concern(
        partnership, audit=reference, actor=email("chair"), agency="police", concern=WORDS
    )
    assert raised.agency == agency_name("police") and raised.agency_told
    assert {(p.name, p.as_what, p.link) for p in raised.told} == {
        (person_name("lsp.police"), f"strategic lead at {agency_name('police')}", True),
        (person_name("chair"), "the audit's chair", False),
    }
    assert _told(partnership, raised.id) == {
        email("lsp.police"): LinkPurpose.ASSURANCE,
        email("chair"): None,
    }
    event = queries.history(partnership, audit=reference)[-1]
    assert event.trigger == "raise_immediate_risk"
    assert event.reason == "Immediate-risk concern raised with agency police"


def test_without_a_strategic_lead_its_agency_leads_and_the_coordinators_are_told(
    partnership: Deps,
) -> None:
    reference = drive(partnership, "mace", "returns_open").reference
    raised = concerns.raise_concern(
        partnership, audit=reference, actor=email("chair"), agency="csc", concern=WORDS
    )
    assert _told(partnership, raised.id) == {
        email("lead.csc"): LinkPurpose.ASSURANCE,
        email("coordinator"): None,
        email("chair"): None,
    }
    assert [(p.name, p.link) for p in raised.told if p.link] == [(person_name("lead.csc"), True)]
    last = queries.history(partnership, audit=reference)[-1]
    assert "no strategic lead, so its agency leads and the coordinators are told" in (
        last.reason or ""
    )
    # The agency lead's link opens and answers, while the agency has no strategic lead ...
    token = _link(partnership, reference, "lead.csc", raised.id)
    assert token is not None
    page, concern = concern_reads.read_by_link(partnership, token)
    assert concern.words == WORDS and page.agency == "csc"
    # ... and stops once it has one, who answers for it from then on.
    seeding.add_person(
        partnership,
        name="Rae Holden",
        email=email("lsp.csc"),
        roles=("strategic_lead",),
        agency="csc",
    )
    with pytest.raises(TokenRevoked, match="now has a strategic lead"):
        links.open_link(partnership, token, purpose=LinkPurpose.ASSURANCE)


def test_an_agency_nobody_can_be_told_of_needs_a_coordinator_to_confirm_why(
    partnership: Deps,
) -> None:
    reference = drive(partnership, "mace", "returns_open").reference
    before = len(queries.history(partnership, audit=reference))
    with pytest.raises(InvalidInput, match="Nobody at Northvale Homes can be told"):
        concerns.raise_concern(
            partnership, audit=reference, actor=email("chair"), agency="housing", concern=WORDS
        )
    with pytest.raises(PermissionDenied, match="Only a coordinator"):
        concerns.raise_concern(
            partnership,
            audit=reference,
            actor=email("chair"),
            agency="housing",
            concern=WORDS,
            confirm_no_recipient="Tenancy team told by phone",
        )
    with pytest.raises(InvalidInput, match="has people to tell"):
        concerns.raise_concern(
            partnership,
            audit=reference,
            actor=email("coordinator"),
            agency="police",
            concern=WORDS,
            confirm_no_recipient="Not needed",
        )
    assert len(queries.history(partnership, audit=reference)) == before, "nothing recorded"
    raised = concerns.raise_concern(
        partnership,
        audit=reference,
        actor=email("coordinator"),
        agency="housing",
        concern=WORDS,
        confirm_no_recipient="Tenancy team told by phone; lead being appointed",
    )
    assert not raised.agency_told
    assert set(_told(partnership, raised.id)) == {email("coordinator"), email("chair")}
    last = queries.history(partnership, audit=reference)[-1]
    assert last.reason == (
        "Immediate-risk concern raised with agency housing; nobody at the agency can be told, "
        "so the coordinators are, confirmed by the coordinator: Tenancy team told by phone; "
        "lead being appointed"
    )


def test_the_chair_and_coordinators_read_both_on_the_audit_page_and_nobody_else(
    partnership: Deps,
) -> None:
    reference = drive(partnership, "mace", "returns_open").reference
    number = work.raise_immediate_risk(
        partnership, audit=reference, actor=email("auditor.two"), agency="police", concern=WORDS
    )
    token = _link(partnership, reference, "lsp.police", number)
    assert token is not None
    concern_reads.read_by_link(partnership, token)
    links.give_assurance(partnership, token, assurance="Strategy discussion held the next day")

    other = concern_reads.on_audit_page(partnership, audit=reference, as_person=email("lhm"))
    assert not other.may_read and other.concerns == ()
    for local in ("chair", "coordinator"):
        shown = concern_reads.on_audit_page(partnership, audit=reference, as_person=email(local))
        (concern,) = shown.concerns
        assert shown.may_read and concern.words == WORDS
        assert concern.assurance == "Strategy discussion held the next day"
        assert concern.assured_by == person_name("lsp.police")
        assert [r.person for r in concern.agency_reads] == [person_name("lsp.police")]
    with partnership.uow(readonly=True) as uow:
        reads = uow.connection.execute(
            select(t.person.c.email, t.concern_read.c.via, t.concern_read.c.read_at)
            .join(t.person, t.person.c.id == t.concern_read.c.person_id)
            .where(t.concern_read.c.escalation_id == number)
            .order_by(t.concern_read.c.id)
        ).all()
    assert [(who, via) for who, via, _ in reads] == [
        (email("lsp.police"), "link"),
        (email("chair"), "audit_page"),
        (email("coordinator"), "audit_page"),
    ]
    assert all(at is not None for _, _, at in reads)


def test_an_assurance_link_outlives_its_stage_but_not_its_answer(partnership: Deps) -> None:
    driver = drive(partnership, "mace", "returns_open")
    number = work.raise_immediate_risk(
        partnership, audit=driver.reference, actor=email("chair"), agency="police", concern=WORDS
    )
    token = _link(partnership, driver.reference, "lsp.police", number)
    assert token is not None
    driver.advance("moderation")
    page, concern = concern_reads.read_by_link(partnership, token)
    assert concern.words == WORDS and page.state_title == "Moderation"
    work.record_assurance(
        partnership,
        audit=driver.reference,
        actor=email("chair"),
        escalation_id=number,
        assurance="Given by telephone",
    )
    with pytest.raises(TokenRevoked, match="already recorded"):
        concern_reads.read_by_link(partnership, token)
