"""An auditor's case audit, as the auditor signed in to the web app sees it.

In this engine a case audit is a return: on a tool completed per case (MACE: "one audit per
agency per case"), each agency involved in a sampled case owes a return on it, and the
auditor assigned to the case may write each of those returns (``returns.may_touch``), as the
agency's own lead may write its own. So an auditor's case audit is the set of returns on
their case, one per involved agency, saved and submitted through ``states.services.returns``
like any other. This module only reads: which of the case's returns the person may complete,
and each as it stands in the round of returns the audit shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from states.definitions.tool import ToolDefinition
from states.errors import NotFound
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditRow, AuditStore
from states.rules.policy import Permission
from states.services.audit_access import permitted
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.return_reads import Agency, collecting_state, in_round
from states.services.returns import ReturnView, may_touch, tool_for
from states.services.returns_status import returns_round


@dataclass(frozen=True)
class AgencyCaseReturn:
    agency: Agency
    saved: ReturnView


@dataclass(frozen=True)
class CaseAudit:
    """The returns on one case the person may complete. ``open`` says whether they can be
    saved now (returns are being collected); ``round`` is None until returns first open."""

    audit: str
    case: str
    tool: ToolDefinition
    phase: str | None
    open: bool
    round: int | None
    returns: tuple[AgencyCaseReturn, ...]

    def agency(self, code: str) -> AgencyCaseReturn | None:
        return next((r for r in self.returns if r.agency.code == code), None)


def case_audit(deps: Deps, *, audit: AuditKey, actor: PersonKey, case: str) -> CaseAudit:
    """The case's returns ``actor`` may complete: every involved agency's for its assigned
    auditor (or the coordinator), their own agency's for an agency lead. Someone who may
    write no return on the audit is refused; one who may write none on this case is told
    it does not exist, as ``returns`` tells them."""
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        store = AuditStore(c)
        allowed = permitted(
            deps,
            store,
            audit,
            actor,
            may=Permission.CONTRIBUTE_RETURNS,
            doing="complete case audits",
        )
        row, who = allowed.row, allowed.who
        tool = tool_for(deps, store, row)
        case_id = _case_id(c, row, case) if tool.per_subject else None
        if case_id is None:
            raise NotFound("case audit", f"{row.reference}/{case}")
        mine = [a for a in _involved(c, row, case_id) if may_touch(c, who, a.id, case_id)]
        if not mine:
            raise NotFound("case audit", f"{row.reference}/{case}")
        compiled = compiled_for(deps, store, row)
        round_ = returns_round(c, row, compiled.stages)
        state = row.state if round_ is None else collecting_state(c, row, round_)
        return CaseAudit(
            row.reference,
            case,
            tool,
            compiled.definition.state(state).phase,
            compiled.stages.collects_returns(row.state),
            round_,
            tuple(AgencyCaseReturn(a, in_round(c, row, a, case, round_)) for a in mine),
        )


def _case_id(connection: Connection, row: AuditRow, case: str) -> int | None:
    found = connection.execute(
        select(t.case.c.id).where(t.case.c.audit_id == row.id, t.case.c.reference == case)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def _involved(connection: Connection, row: AuditRow, case_id: int) -> list[Agency]:
    """The agencies taking part that the case names, by name."""
    rows = connection.execute(
        select(t.agency.c.id, t.agency.c.code, t.agency.c.name)
        .join(t.case_agency, t.case_agency.c.agency_id == t.agency.c.id)
        .join(
            t.participation,
            (t.participation.c.agency_id == t.agency.c.id) & (t.participation.c.audit_id == row.id),
        )
        .where(t.case_agency.c.case_id == case_id)
        .order_by(t.agency.c.name, t.agency.c.code)
    )
    return [Agency(int(i), str(code), str(name)) for i, code, name in rows]
