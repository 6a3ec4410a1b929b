"""Export and import through the return services, so the same access rules apply."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from oscp_flow.excel.reader import read_return
from oscp_flow.excel.writer import export_return
from states.definitions.tool import ToolDefinition
from states.errors import ReturnLocked, ReturnsClosed
from states.persistence import tables as t
from states.persistence.store import AuditStore
from states.services import returns
from states.services.audits import compiled_for
from states.services.deps import Deps

# --- Services ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Round:
    tool: ToolDefinition
    phase: str | None
    returns_open: bool
    reference: str
    state: str
    agency_name: str


def _round(deps: Deps, audit: str | int, agency: str) -> _Round:
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        definition = compiled_for(deps, store, row).definition
        name = uow.connection.execute(
            select(t.agency.c.name).where(t.agency.c.code == agency)
        ).scalar_one_or_none()
        return _Round(
            returns.tool_for(deps, store, row),
            definition.state(row.state).phase,
            returns.returns_open(definition, row.state),
            row.reference,
            row.state,
            name or agency,
        )


def export(
    deps: Deps, *, audit: str | int, actor: str | int, agency: str, case: str | None = None
) -> bytes:
    """The return as a workbook, for whoever may read it (others are told it does not exist)."""
    view = returns.read(deps, audit=audit, actor=actor, agency=agency, case=case)
    found = _round(deps, audit, agency)
    title = f"{found.agency_name} ({agency}), audit {found.reference}"
    if case is not None:
        title += f", case {case}"
    return export_return(found.tool, found.phase, view.answers, title=title)


def import_(
    deps: Deps,
    *,
    audit: str | int,
    actor: str | int,
    agency: str,
    case: str | None = None,
    data: bytes,
    submit: bool = False,
) -> returns.ReturnView:
    """Save (or submit) the return from a workbook; a file with any problem saves nothing."""
    # Access first, so someone else's return is "not found" before their file is even opened.
    view = returns.read(deps, audit=audit, actor=actor, agency=agency, case=case)
    found = _round(deps, audit, agency)
    if not found.returns_open:
        raise ReturnsClosed(audit=found.reference, state=found.state)
    if view.status == "submitted":
        raise ReturnLocked(audit=found.reference)
    answers = read_return(found.tool, found.phase, data, complete=submit)
    if submit:
        return returns.submit(
            deps, audit=audit, actor=actor, agency=agency, case=case, answers=answers
        )
    return returns.save_draft(
        deps, audit=audit, actor=actor, agency=agency, case=case, answers=answers
    )
