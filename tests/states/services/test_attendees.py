"""Training impact per attendee (issue 15, item 14): the coordinator registers attendees by
pseudonymous reference, course and cohort; each attendee's return comes through their
agency training lead's e-mailed link; the gate waits for every attendee."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from states.clock import FakeClock
from states.errors import GateBlocked, InvalidInput, PermissionDenied
from states.persistence import tables as t
from states.persistence.store import AuditStore
from states.persistence.vocabulary import LinkPurpose
from states.services import attendees, audits, links, minting
from states.services.deps import Deps
from tests.support.driver import complete_answers, drive
from tests.support.partnership import email

COORDINATOR = email("coordinator")


def _ids(deps: Deps, reference: str, person: str) -> tuple[int, int]:
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        return store.load_audit(reference).id, store.load_actor(email(person)).id


def test_attendees_are_registered_by_number_or_reference(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = drive(deps, "training_impact", to="planning", theme="Neglect").reference
    made = attendees.register_attendees(
        deps,
        audit=reference,
        actor=COORDINATOR,
        new=attendees.attendees(agency="housing", course="Neglect", cohort="2026-09", count=2),
    )
    assert made == [f"{reference}-A001", f"{reference}-A002"]
    own = attendees.NewAttendee("housing", "Neglect", "2026-10", reference="TRN-0042")
    assert attendees.register_attendees(deps, audit=reference, actor=COORDINATOR, new=[own]) == [
        "TRN-0042"
    ]
    with deps.uow(readonly=True) as uow:
        taking_part = uow.connection.execute(
            select(t.agency.c.code)
            .join(t.participation, t.participation.c.agency_id == t.agency.c.id)
            .join(t.audit, t.audit.c.id == t.participation.c.audit_id)
            .where(t.audit.c.reference == reference)
        ).scalars()
        assert "housing" in set(taking_part)  # invited with its first attendee
        cohorts = uow.connection.execute(
            select(t.case.c.reference, t.attendee.c.course, t.attendee.c.cohort)
            .join(t.attendee, t.attendee.c.case_id == t.case.c.id)
            .order_by(t.case.c.reference)
        ).all()
    assert [tuple(r) for r in cohorts] == [
        (made[0], "Neglect", "2026-09"),
        (made[1], "Neglect", "2026-09"),
        ("TRN-0042", "Neglect", "2026-10"),
    ]

    named = attendees.NewAttendee("housing", "Neglect", "2026-10", reference="jane smith")
    with pytest.raises(InvalidInput, match="looks like a name"):
        attendees.register_attendees(deps, audit=reference, actor=COORDINATOR, new=[named])
    with pytest.raises(PermissionDenied):
        attendees.register_attendees(
            deps,
            audit=reference,
            actor=email("lsp.police"),
            new=attendees.attendees(agency="police", course="N", cohort="K", count=1),
        )
    mace = drive(deps, "mace", to="planning", theme="Not training").reference
    with pytest.raises(InvalidInput, match="not completed per course attendee"):
        attendees.register_attendees(
            deps,
            audit=mace,
            actor=COORDINATOR,
            new=attendees.attendees(agency="police", course="N", cohort="K", count=1),
        )


def test_each_attendee_returns_through_their_agencys_link(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    driver = drive(deps, "training_impact", to="pre_course_returns_open", theme="Neglect")
    reference = driver.reference
    mine = attendees.register_attendees(
        deps,
        audit=reference,
        actor=COORDINATOR,
        new=attendees.attendees(agency="police", course="Neglect", cohort="2026-09", count=2),
    )
    attendees.register_attendees(
        deps,
        audit=reference,
        actor=COORDINATOR,
        new=attendees.attendees(agency="csc", course="Neglect", cohort="2026-09", count=1),
    )
    audit_id, lead = _ids(deps, reference, "lead.police")
    token = minting.mint(deps, purpose=LinkPurpose.RETURN, audit_id=audit_id, person_id=lead)
    assert token is not None
    page = links.link_page_returns(deps, token)
    assert page.cases == tuple(mine)  # the police lead's link reaches police's attendees only
    tool = deps.catalogue.tool("training_impact")
    assert tool is not None
    links.save_return(
        deps, token, case=mine[0], answers=complete_answers(tool, phase="before"), submit=True
    )
    with pytest.raises(GateBlocked, match="still waiting for returns"):
        audits.fire(deps, audit=reference, trigger="close_pre_course_returns", actor=COORDINATOR)
