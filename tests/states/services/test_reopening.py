"""Reopening a return (issue 15, item 3): the coordinator's, while returns are open; the
agency's leads are e-mailed a fresh link to it, once per reopening."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from states.errors import PermissionDenied, ReturnsClosed
from states.persistence import tables as t
from states.persistence.vocabulary import LinkPurpose
from states.services import returns
from states.services.deps import Deps
from states.services.minting import mint
from tests.support.driver import complete_answers, drive
from tests.support.partnership import agency_name, email

POLICE = email("lead.police")
COORDINATOR = email("coordinator")
WHY = "The evidence dates were for last year"


def _reopen_requests(deps: Deps, reference: str) -> list[tuple[int, str, int, str]]:
    """(recipient, link purpose, audit id, agency named) of each reopened return's request."""
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(
                t.outbox.c.recipient_id,
                t.outbox.c.link_purpose,
                t.outbox.c.audit_id,
                t.outbox.c.context,
            )
            .join(t.audit, t.audit.c.id == t.outbox.c.audit_id)
            .where(t.audit.c.reference == reference, t.outbox.c.key.startswith("return_reopened"))
            .order_by(t.outbox.c.id)
        )
        return [(who, purpose, audit, json.loads(c)["agency"]) for who, purpose, audit, c in rows]


def _person_id(deps: Deps, address: str) -> int:
    with deps.uow(readonly=True) as uow:
        found = uow.connection.execute(select(t.person.c.id).where(t.person.c.email == address))
        return int(found.scalar_one())


def _submit(deps: Deps, reference: str) -> None:
    tool = deps.catalogue.tool("section_11")
    assert tool is not None
    returns.submit(
        deps, audit=reference, actor=POLICE, agency="police", answers=complete_answers(tool)
    )


def test_a_reopened_return_is_asked_for_again_with_a_fresh_link(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "section_11", "returns_open").reference
    _submit(deps, reference)
    with pytest.raises(PermissionDenied):
        returns.reopen(deps, audit=reference, actor=POLICE, agency="police", reason=WHY)
    reopened = returns.reopen(deps, audit=reference, actor=COORDINATOR, agency="police", reason=WHY)
    assert reopened.status == "draft"
    lead = _person_id(deps, POLICE)
    sent = _reopen_requests(deps, reference)
    assert [(who, purpose, name) for who, purpose, _, name in sent] == [
        (lead, LinkPurpose.RETURN, agency_name("police"))
    ]
    assert mint(deps, purpose=LinkPurpose.RETURN, audit_id=sent[0][2], person_id=lead)

    _submit(deps, reference)  # sent back again: asked again
    returns.reopen(deps, audit=reference, actor=COORDINATOR, agency="police", reason=WHY)
    assert len(_reopen_requests(deps, reference)) == 2


def test_a_return_is_reopened_only_while_returns_are_open(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "section_11", "moderation").reference
    with pytest.raises(ReturnsClosed):
        returns.reopen(deps, audit=reference, actor=COORDINATOR, agency="police", reason=WHY)
    assert _reopen_requests(deps, reference) == []
