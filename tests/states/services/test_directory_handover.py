"""Handing a person's open duties to someone else: audits chaired, cases audited (not to an
auditor who declared involvement), returns owed (the link re-sent), actions; on both stores."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from states.errors import InvalidInput, PermissionDenied
from states.persistence import tables as t
from states.services import directory, directory_people, people, queries
from states.services.deps import Deps
from states.services.handover import handover
from tests.support.driver import drive
from tests.support.partnership import email

COORDINATOR = email("coordinator")
WHY = "Long-term leave from May"


def _audit(deps: Deps) -> str:
    return drive(deps, "mace", "returns_open").reference


def _assigned(deps: Deps, local: str) -> list[str]:
    with deps.uow(readonly=True) as uow:
        return sorted(
            uow.connection.execute(
                select(t.case.c.reference)
                .join(t.assignment, t.assignment.c.case_id == t.case.c.id)
                .join(t.person, t.person.c.id == t.assignment.c.person_id)
                .where(t.person.c.email == email(local))
            ).scalars()
        )


def test_cases_move_to_an_auditor_without_a_declared_involvement(partnership: Deps) -> None:
    deps = partnership
    reference = _audit(deps)
    first, *rest = sorted(_assigned(deps, "auditor.one") + _assigned(deps, "auditor.two"))
    assert _assigned(deps, "auditor.two") == [first] and rest
    # auditor.one declared involvement in the first case: it stays with auditor.two.
    kept = handover(
        deps, person=email("auditor.two"), to=email("auditor.one"), actor=COORDINATOR, reason=WHY
    )
    assert [(h.duty.kind, h.duty.detail, h.moved) for h in kept.handed] == [
        ("case", f"case {first}", False)
    ]
    assert "declared involvement in case" in kept.handed[0].said
    moved = handover(
        deps, person=email("auditor.one"), to=email("auditor.two"), actor=COORDINATOR, reason=WHY
    )
    assert len(moved.moved) == len(rest) and not moved.not_moved
    assert _assigned(deps, "auditor.one") == []
    assert _assigned(deps, "auditor.two") == [first, *rest]
    history = queries.history(deps, audit=reference)
    assert [e.trigger for e in history].count("hand_over_case") == len(rest)
    logged = directory.log(deps, viewer=COORDINATOR, person=email("auditor.one"))
    assert [row.change for row in logged] == ["handed_over"]
    assert logged[0].fields["handed to"] == (None, email("auditor.two"))


def test_the_chair_hands_over_even_after_leaving(partnership: Deps) -> None:
    deps = partnership
    reference = _audit(deps)
    people.deactivate_person(deps, person=email("chair"), actor=COORDINATOR, reason=WHY)
    done = handover(deps, person=email("chair"), to=email("lhm"), actor=COORDINATOR, reason=WHY)
    assert [(h.duty.audit, h.duty.kind, h.moved) for h in done.handed] == [
        (reference, "chair", True)
    ]
    with deps.uow(readonly=True) as uow:
        lead = uow.connection.execute(
            select(t.person.c.email)
            .join(t.audit, t.audit.c.lead_id == t.person.c.id)
            .where(t.audit.c.reference == reference)
        ).scalar_one()
    assert lead == email("lhm")
    last = queries.history(deps, audit=reference)[-1]
    assert (last.trigger, last.reason) == ("hand_over_chair", WHY)


def test_the_return_link_goes_to_another_lead_of_the_agency(partnership: Deps) -> None:
    deps = partnership
    reference = _audit(deps)
    directory_people.add_person(
        deps,
        name="Ro Ketley",
        email="ro.k@example.org",
        agency="police",
        roles=["agency_lead"],
        actor=COORDINATOR,
        reason=WHY,
    )
    refused = handover(
        deps, person=email("lead.police"), to=email("lsp.police"), actor=COORDINATOR, reason=WHY
    )
    assert [(h.duty.kind, h.moved) for h in refused.handed] == [("return", False)]
    assert "is not an audit lead (agency lead) of the same agency" in refused.handed[0].said
    done = handover(
        deps, person=email("lead.police"), to="ro.k@example.org", actor=COORDINATOR, reason=WHY
    )
    assert [(h.duty.audit, h.duty.kind, h.moved) for h in done.handed] == [
        (reference, "return", True)
    ]
    with deps.uow(readonly=True) as uow:
        sent = uow.connection.execute(
            select(t.outbox.c.kind, t.outbox.c.link_purpose)
            .join(t.person, t.person.c.id == t.outbox.c.recipient_id)
            .where(t.person.c.email == "ro.k@example.org")
        ).all()
    assert [tuple(row) for row in sent] == [("return_requested", "return")]
    again = handover(
        deps, person=email("lead.police"), to="ro.k@example.org", actor=COORDINATOR, reason=WHY
    )
    assert "had the return link already" in again.handed[0].said


def test_refusals(partnership: Deps) -> None:
    deps = partnership
    with pytest.raises(PermissionDenied, match="Only a coordinator may hand over"):
        handover(deps, person=email("chair"), to=email("lhm"), actor=email("chair"), reason=WHY)
    with pytest.raises(InvalidInput, match="same person"):
        handover(deps, person=email("chair"), to=email("chair"), actor=COORDINATOR, reason=WHY)
    people.deactivate_person(deps, person=email("lhm"), actor=COORDINATOR, reason=WHY)
    with pytest.raises(InvalidInput, match="cannot take on anyone's duties"):
        handover(deps, person=email("chair"), to=email("lhm"), actor=COORDINATOR, reason=WHY)
    nothing = handover(
        deps, person=email("lsp.health"), to=email("chair"), actor=COORDINATOR, reason=WHY
    )
    assert nothing.handed == ()
    # Only the removal is logged (with lhm leaving the bodies they sat on): nothing handed.
    logged = [row.change for row in directory.log(deps, viewer=COORDINATOR)]
    assert [change for change in logged if change != "member_removed"] == ["deactivated"]
