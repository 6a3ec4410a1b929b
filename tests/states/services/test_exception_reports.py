"""Single-agency exception reports are raised by the agency (issue 15, item 12; framework
s.5): an agency lead starts one for their own agency only, naming the learning hub member or
coordinator who chairs its triage, and the learning hub's members are e-mailed at once, each
once, with nothing from the report. Coordinators keep their right to start any audit. Both
stores."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from states.errors import InvalidInput, PermissionDenied
from states.persistence import tables as t
from states.persistence.notices import CONTEXT_KEYS
from states.services import audits, queries, returns
from states.services.deps import Deps
from tests.support.driver import complete_answers
from tests.support.partnership import agency_name, email

EXCEPTION = "single_agency_exception"
THEME = "Missed strategy discussions"


def _raise(
    deps: Deps, actor: str, *, lead: str = "coordinator", agencies: tuple[str, ...] = ()
) -> audits.Fired:
    return audits.start_audit(
        deps,
        audit_type=EXCEPTION,
        theme=THEME,
        lead=email(lead),
        actor=email(actor),
        agencies=agencies,
    )


def _outbox(deps: Deps, kind: str) -> list[tuple[str, dict[str, str]]]:
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.person.c.email, t.outbox.c.context)
            .join(t.person, t.person.c.id == t.outbox.c.recipient_id)
            .where(t.outbox.c.kind == kind)
            .order_by(t.person.c.email)
        ).all()
    return [(address, json.loads(context)) for address, context in rows]


def _taking_part(deps: Deps, reference: str) -> list[str]:
    with deps.uow(readonly=True) as uow:
        return list(
            uow.connection.execute(
                select(t.agency.c.code)
                .join(t.participation, t.participation.c.agency_id == t.agency.c.id)
                .join(t.audit, t.audit.c.id == t.participation.c.audit_id)
                .where(t.audit.c.reference == reference)
            ).scalars()
        )


def test_an_agency_lead_raises_one_for_their_own_agency_and_the_hub_is_told_once(
    partnership: Deps,
) -> None:
    deps = partnership
    started = _raise(deps, "lead.police")
    assert started.to_state == "exception_drafting"
    assert _taking_part(deps, started.reference) == ["police"]

    told = _outbox(deps, "exception_raised")
    # Every learning hub member, once (the coordinator leading it hears it is theirs instead).
    assert [address for address, _ in told] == [email("chair"), email("lhm")]
    for _, context in told:
        assert set(context) <= CONTEXT_KEYS
        assert context["agency"] == agency_name("police")
        assert context["audit"] == started.reference
    assert [address for address, _ in _outbox(deps, "audit_started")] == [email("coordinator")]

    # Their own agency named, the same; the agency's lead writes it and submits it to the hub.
    again = _raise(deps, "lead.police", agencies=("police",))
    assert _taking_part(deps, again.reference) == ["police"]
    tool = deps.catalogue.tool(EXCEPTION)
    assert tool is not None
    returns.submit(
        deps,
        audit=again.reference,
        actor=email("lead.police"),
        agency="police",
        answers=complete_answers(tool),
    )
    audits.fire(deps, audit=again.reference, trigger="submit_exception", actor=email("lead.police"))
    assert queries.audit_status(deps, audit=again.reference, as_person=email("chair")).state == (
        "triage"
    )


def test_raising_one_for_another_agency_is_refused_and_changes_nothing(partnership: Deps) -> None:
    deps = partnership
    with pytest.raises(PermissionDenied, match="for their own agency only: Sol Bramwell is a lead"):
        _raise(deps, "lead.police", agencies=("csc",))
    with pytest.raises(PermissionDenied, match="for their own agency only"):
        _raise(deps, "lead.police", agencies=("police", "csc"))
    # Other audits stay the coordinator's to start.
    with pytest.raises(PermissionDenied, match="Only a coordinator can start an audit"):
        audits.start_audit(
            deps, audit_type="mace", theme=THEME, lead=email("chair"), actor=email("lead.police")
        )
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        assert c.execute(select(func.count()).select_from(t.audit)).scalar_one() == 0
        assert c.execute(select(func.count()).select_from(t.outbox)).scalar_one() == 0


def test_its_lead_chairs_the_hubs_triage_so_is_never_the_agency_raising_it(
    partnership: Deps,
) -> None:
    deps = partnership
    for lead in ("lead.police", "lsp.police"):
        with pytest.raises(InvalidInput, match="name a learning hub member or coordinator"):
            _raise(deps, "lead.police", lead=lead)
    assert _raise(deps, "lead.police", lead="lhm").to_state == "exception_drafting"


def test_a_coordinator_still_starts_one_and_the_hub_is_told(partnership: Deps) -> None:
    deps = partnership
    started = _raise(deps, "coordinator", lead="chair", agencies=("csc",))
    assert _taking_part(deps, started.reference) == ["csc"]
    told = _outbox(deps, "exception_raised")
    assert [address for address, _ in told] == [email("lhm")]  # the chair is told it is theirs
    assert told[0][1]["agency"] == agency_name("csc")
