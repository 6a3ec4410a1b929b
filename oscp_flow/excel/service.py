"""Export and import through the return services, so the same access rules apply."""

from __future__ import annotations

from oscp_flow.excel.reader import read_return
from oscp_flow.excel.writer import export_return
from states.errors import ReturnLocked, ReturnsClosed
from states.persistence.vocabulary import ReturnStatus
from states.services import returns
from states.services.deps import Deps
from states.services.lookup import return_round


def export(
    deps: Deps, *, audit: str | int, actor: str | int, agency: str, case: str | None = None
) -> bytes:
    """The return as a workbook, for whoever may read it (others are told it does not exist)."""
    view = returns.read(deps, audit=audit, actor=actor, agency=agency, case=case)
    found = return_round(deps, audit=audit, agency=agency)
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
    found = return_round(deps, audit=audit, agency=agency)
    if not found.returns_open:
        raise ReturnsClosed(audit=found.reference, state=found.state)
    if view.status == ReturnStatus.SUBMITTED:
        raise ReturnLocked(audit=found.reference)
    answers = read_return(found.tool, found.phase, data, complete=submit)
    if submit:
        return returns.submit(
            deps, audit=audit, actor=actor, agency=agency, case=case, answers=answers
        )
    return returns.save_draft(
        deps, audit=audit, actor=actor, agency=agency, case=case, answers=answers
    )
