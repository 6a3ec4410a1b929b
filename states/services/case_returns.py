"""An agency's returns on several cases at once: which of them a person may fill in, and
saving or submitting them together.

An agency with five sampled cases fills one workbook for all five, so its answers are stored
in one write: every case's return or none of them. A return already submitted is left as it
is when the answers given for it are the ones it holds (the workbook is simply imported again
after some cases were submitted), and refused as locked when they would change it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, select

from states.errors import InvalidInput, NotFound, ReturnLocked
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.persistence.vocabulary import ReturnStatus
from states.rules.answers import normalise
from states.rules.policy import Permission
from states.services import returns
from states.services.concern_answers import after_returns_saved
from states.services.deps import Deps
from states.services.returns import ReturnView, Saving
from states.services.work import write_to_audit

# Answers by case reference; None stands for the agency's one return on a per-agency tool.
ByCase = Mapping[str | None, Mapping[str, object]]


def returnable(deps: Deps, *, audit: AuditKey, actor: PersonKey, agency: str) -> tuple[str, ...]:
    """The references of ``agency``'s cases on ``audit`` whose returns the actor may fill in,
    in order; none on a tool completed per agency. Someone who may fill in none of them is
    told the return does not exist."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        who = store.load_actor(actor)
        tool = returns.tool_for(deps, store, row)
        if not tool.per_subject:
            returns.read_in(
                uow.connection, row, who, tool, agency=agency, case=None
            )  # may they at all?
            return ()
        return _cases_of(uow.connection, row, who, agency)


def _cases_of(connection: Connection, row: AuditRow, who: Actor, agency: str) -> tuple[str, ...]:
    found = connection.execute(
        select(t.agency.c.id)
        .join(t.participation, t.participation.c.agency_id == t.agency.c.id)
        .where(t.agency.c.code == agency, t.participation.c.audit_id == row.id)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("return", f"{row.reference}/{agency}")
    agency_id = int(found)
    cases = connection.execute(
        select(t.case.c.reference, t.case.c.id)
        .join(t.case_agency, t.case_agency.c.case_id == t.case.c.id)
        .where(t.case.c.audit_id == row.id, t.case_agency.c.agency_id == agency_id)
        .order_by(t.case.c.reference)
    ).all()
    mine = tuple(
        str(ref) for ref, case_id in cases if returns.may_touch(connection, who, agency_id, case_id)
    )
    if mine:
        return mine
    if not returns.may_touch(connection, who, agency_id, None):
        raise NotFound("return", f"{row.reference}/{agency}")
    raise InvalidInput(
        f"Agency {agency} has no case in the sample of audit {row.reference}, so it has no "
        "return to fill in; ask the coordinator if that is wrong."
    )


def save_all(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    agency: str,
    answers: ByCase,
    submit: bool = False,
) -> tuple[ReturnView, ...]:
    """Save (or submit) the agency's returns on each case in ``answers``, all in one write:
    any refusal for any case stores nothing for every case."""

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> tuple[ReturnView, ...]:
        tool, phase = returns.open_tool(deps, uow, row)
        at = Saving(uow.connection, row, who, now, tool, phase)
        return tuple(_save_one(at, agency, case, given, submit) for case, given in answers.items())

    action = "submit_return" if submit else "save_return"
    return write_to_audit(
        deps,
        audit,
        actor,
        action,
        may=Permission.CONTRIBUTE_RETURNS,
        work=work,
        then=after_returns_saved(deps),
    )


def _save_one(
    at: Saving, agency: str, case: str | None, given: Mapping[str, object], submit: bool
) -> ReturnView:
    stored = returns.read_in(at.connection, at.row, at.who, at.tool, agency=agency, case=case)
    if stored.status == ReturnStatus.SUBMITTED:
        if _unchanged(at, stored, given):
            return stored
        raise ReturnLocked(audit=at.row.reference, case=case)
    if submit:
        return returns.submit_in(at, agency, case, given)
    return returns.save_in(at, agency, case, given)


def _unchanged(at: Saving, stored: ReturnView, given: Mapping[str, object]) -> bool:
    """Whether saving ``given`` would leave the return as it is (a blank clears an answer)."""
    clean, problems = normalise(at.tool, given, at.phase)
    return not problems and all(stored.answers.get(q) == clean.get(q) for q in given)
