"""Who a transition's messages go to (``states.services.messages``)."""

from __future__ import annotations

from sqlalchemy import select

from states.persistence import tables as t
from states.services import work
from states.services.deps import Deps
from tests.support.driver import Driver
from tests.support.partnership import email


def _asked(deps: Deps, reference: str) -> set[str]:
    with deps.uow(readonly=True) as uow:
        return set(
            uow.connection.execute(
                select(t.person.c.email)
                .join(t.outbox, t.outbox.c.recipient_id == t.person.c.id)
                .join(t.audit, t.audit.c.id == t.outbox.c.audit_id)
                .where(t.audit.c.reference == reference, t.outbox.c.kind == "return_requested")
            ).scalars()
        )


def test_a_case_audit_asks_only_the_agencies_its_cases_name(partnership: Deps) -> None:
    """Schools take part in the MACE but no sampled case names them: they owe nothing, so
    they are not asked for a return that the gate would never wait for."""
    driver = Driver.start(partnership, "mace")
    driver.invite_agencies()
    work.invite_agencies(
        partnership, audit=driver.reference, actor=email("coordinator"), agencies=["schools"]
    )
    driver.advance("returns_open")
    assert _asked(partnership, driver.reference) == {
        email("lead.police"),
        email("lead.csc"),
        email("lead.health"),
    }


def test_an_audit_without_cases_asks_every_agency_taking_part(partnership: Deps) -> None:
    driver = Driver.start(partnership, "section_11")
    driver.invite_agencies()
    work.invite_agencies(
        partnership, audit=driver.reference, actor=email("coordinator"), agencies=["schools"]
    )
    collecting = next(
        s.name
        for s in driver.definition().states
        if s.deadline and s.deadline.owed_by == "participants"
    )
    driver.advance(collecting)
    assert email("lead.schools") in _asked(partnership, driver.reference)
