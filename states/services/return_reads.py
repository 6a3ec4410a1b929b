"""Reading returns as they stood in the round of returns the audit shows: the round open now,
or the last one once returns have closed (``returns_status.returns_round``).

``states.services.returns.read`` reads the current round for whoever may write the return;
the organisers (the chair and coordinator, ``Permission.ORGANISE``) read here instead, every
agency's, after returns have closed as well as before. An agency's draft is its own until it
submits it: they see that a draft exists, never its answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from states.definitions.tool import ToolDefinition
from states.errors import NotFound
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditRow, AuditStore
from states.persistence.vocabulary import ReturnStatus
from states.services.audit_access import organised_audit
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.returns import ReturnView, tool_for
from states.services.returns_status import returns_round

NOT_STARTED = "not started"


@dataclass(frozen=True)
class Agency:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class AgencyReturnsRead:
    """One agency's returns in the round shown: one per sampled case naming it (or one)."""

    audit: str
    agency: Agency
    tool: ToolDefinition
    phase: str | None
    round: int | None
    open: bool
    returns: tuple[ReturnView, ...]


def agency_returns(
    deps: Deps, *, audit: AuditKey, as_person: PersonKey, agency: str, case: str | None = None
) -> AgencyReturnsRead:
    """``agency``'s returns for the organisers, answers only where submitted; ``case`` narrows
    a tool completed per case to that one case (not found unless it names the agency)."""
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        store = AuditStore(c)
        row = organised_audit(deps, store, audit, as_person, "read every agency's returns")
        tool = tool_for(deps, store, row)
        compiled = compiled_for(deps, store, row)
        round_ = returns_round(c, row, compiled.stages)
        taking = taking_part(c, row, agency)
        cases: list[str | None] = cases_of(c, row, taking.id) if tool.per_subject else [None]
        if case is not None:
            if case not in cases:
                raise NotFound("return", f"{row.reference}/{agency}/{case}")
            cases = [case]
        views = tuple(_submitted_only(in_round(c, row, taking, one, round_)) for one in cases)
        state = row.state if round_ is None else collecting_state(c, row, round_)
        return AgencyReturnsRead(
            row.reference,
            taking,
            tool,
            compiled.definition.state(state).phase,
            round_,
            compiled.stages.collects_returns(row.state),
            views,
        )


def _submitted_only(view: ReturnView) -> ReturnView:
    if view.status == ReturnStatus.SUBMITTED:
        return view
    return ReturnView(view.id, view.audit, view.agency, view.case, view.round, view.status, {})


def taking_part(connection: Connection, row: AuditRow, code: str) -> Agency:
    """The agency by its code, if it takes part in the audit; otherwise not found."""
    found = connection.execute(
        select(t.agency.c.id, t.agency.c.name)
        .join(t.participation, t.participation.c.agency_id == t.agency.c.id)
        .where(t.agency.c.code == code, t.participation.c.audit_id == row.id)
    ).first()
    if found is None:
        raise NotFound("agency", code)
    return Agency(int(found[0]), code, str(found[1]))


def cases_of(connection: Connection, row: AuditRow, agency_id: int) -> list[str | None]:
    """The sampled cases (or attendees) naming the agency, by reference."""
    statement = (
        select(t.case.c.reference)
        .join(t.case_agency, t.case_agency.c.case_id == t.case.c.id)
        .where(t.case.c.audit_id == row.id, t.case_agency.c.agency_id == agency_id)
        .order_by(t.case.c.reference)
    )
    return list(connection.execute(statement).scalars())


def collecting_state(connection: Connection, row: AuditRow, round_: int) -> str:
    """The state whose visit the round is: the one the round's version entered."""
    if round_ == row.state_round:
        return row.state
    return str(
        connection.execute(
            select(t.event.c.to_state).where(
                t.event.c.audit_id == row.id, t.event.c.version == round_
            )
        ).scalar_one()
    )


def in_round(
    connection: Connection, row: AuditRow, agency: Agency, case: str | None, round_: int | None
) -> ReturnView:
    """The agency's return (on ``case``) in the round, or one "not started"."""
    r, k = t.audit_return, t.case
    statement = select(r.c.id, r.c.status).where(
        r.c.audit_id == row.id, r.c.agency_id == agency.id, r.c.round == round_
    )
    if case is None:
        statement = statement.where(r.c.case_key == 0)
    else:
        statement = statement.join(k, k.c.id == r.c.case_id).where(k.c.reference == case)
    found = None if round_ is None else connection.execute(statement).first()
    if found is None or round_ is None:
        return ReturnView(0, row.reference, agency.code, case, round_ or 0, NOT_STARTED, {})
    answers = connection.execute(
        select(t.answer.c.question_id, t.answer.c.value).where(t.answer.c.return_id == found[0])
    )
    return ReturnView(
        int(found[0]),
        row.reference,
        agency.code,
        case,
        round_,
        str(found[1]),
        {question: value for question, value in answers},
    )
