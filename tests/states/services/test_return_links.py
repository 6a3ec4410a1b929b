"""Sending an agency its return link again (issue 17 item 3): the organisers', while returns
are open; the agency's old links stop working, its audit leads are asked again with a fresh
one, and the history says who sent it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from states.errors import InvalidInput, PermissionDenied, ReturnsClosed, TokenRevoked
from states.persistence import tables as t
from states.persistence.vocabulary import LinkPurpose
from states.services import links, queries, returns, work
from states.services.deps import Deps
from states.services.minting import mint
from states.services.return_links import resend_return_link
from states.services.returns_status import returns_status
from tests.support.driver import complete_answers, drive
from tests.support.partnership import agency_name, email

COORDINATOR = email("coordinator")


def _ids(deps: Deps, reference: str, local: str) -> tuple[int, int]:
    with deps.uow(readonly=True) as uow:
        audit = uow.connection.execute(
            select(t.audit.c.id).where(t.audit.c.reference == reference)
        ).scalar_one()
        person = uow.connection.execute(
            select(t.person.c.id).where(t.person.c.email == email(local))
        ).scalar_one()
        return int(audit), int(person)


def _link(deps: Deps, reference: str, local: str) -> str:
    audit, person = _ids(deps, reference, local)
    token = mint(deps, purpose=LinkPurpose.RETURN, audit_id=audit, person_id=person)
    assert token is not None
    return token


def _resent(deps: Deps, reference: str) -> list[tuple[str, str | None, str, int]]:
    """(recipient, link purpose, agency named, subject) of each link sent again."""
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.person.c.email, t.outbox.c.link_purpose, t.outbox.c.context)
            .add_columns(t.outbox.c.subject_id)
            .join(t.person, t.person.c.id == t.outbox.c.recipient_id)
            .join(t.audit, t.audit.c.id == t.outbox.c.audit_id)
            .where(t.audit.c.reference == reference, t.outbox.c.key.startswith("return_resent"))
            .order_by(t.outbox.c.id)
        )
        return [(e, p, json.loads(c)["agency"], s) for e, p, c, s in rows]


def test_a_fresh_link_replaces_the_old_one(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", "returns_open").reference
    old_csc, police = _link(deps, reference, "lead.csc"), _link(deps, reference, "lead.police")
    sent = resend_return_link(deps, audit=reference, actor=COORDINATOR, agency="csc")
    assert sent == 1
    round_ = returns_status(deps, audit=reference, as_person=COORDINATOR).round
    assert _resent(deps, reference) == [
        (email("lead.csc"), LinkPurpose.RETURN, agency_name("csc"), round_)
    ]
    with pytest.raises(TokenRevoked, match="a newer link to this return has been sent"):
        links.link_page_returns(deps, old_csc)
    assert links.link_page_returns(deps, police).agency == "police"  # another agency's stays
    assert links.link_page_returns(deps, _link(deps, reference, "lead.csc")).agency == "csc"
    last = queries.history(deps, audit=reference)[-1]
    assert (last.trigger, last.actor) == ("resend_return_link", "Kit Farrow")
    assert last.reason == "Return link sent again to agency csc"

    resend_return_link(deps, audit=reference, actor=email("chair"), agency="csc")
    assert len(_resent(deps, reference)) == 2  # each sending is its own message


def test_only_the_organisers_resend_and_only_while_something_is_owed(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "returns_open")
    reference = driver.reference
    with pytest.raises(PermissionDenied, match="only the chair or coordinator"):
        resend_return_link(deps, audit=reference, actor=email("lhm"), agency="csc")
    tool = deps.catalogue.tool("mace")
    assert tool is not None
    for case in driver.cases:
        returns.submit(
            deps,
            audit=reference,
            actor=email("lead.police"),
            agency="police",
            case=case,
            answers=complete_answers(tool),
        )
    with pytest.raises(InvalidInput, match="Northvale Police owes no return on audit"):
        resend_return_link(deps, audit=reference, actor=COORDINATOR, agency="police")
    assert _resent(deps, reference) == []


def test_an_agency_without_an_audit_lead_cannot_be_sent_a_link(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "section_11", "returns_open").reference
    work.invite_agencies(deps, audit=reference, actor=COORDINATOR, agencies=["housing"])
    with pytest.raises(InvalidInput, match="Northvale Homes has no active audit lead"):
        resend_return_link(deps, audit=reference, actor=COORDINATOR, agency="housing")
    assert resend_return_link(deps, audit=reference, actor=COORDINATOR, agency="police") == 1


def test_no_link_is_sent_once_returns_have_closed(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "section_11", "moderation").reference
    with pytest.raises(ReturnsClosed):
        resend_return_link(deps, audit=reference, actor=COORDINATOR, agency="police")
    assert _resent(deps, reference) == []
