"""Export and import through the return services, so the same access rules apply.

On an audit whose returns are made per case, an agency's workbook carries every case of the
agency its person may fill in (``--case`` narrows it to one), and its import stores every
case's answers in one write or none of them.
"""

from __future__ import annotations

from oscp_flow.excel.reader import read_return
from oscp_flow.excel.shape import ABOUT, LISTS, MAX_SHEETS, layout
from oscp_flow.excel.stamp import Expected, Stamp
from oscp_flow.excel.writer import export_return
from states.errors import InvalidInput, ReturnsClosed
from states.services import case_returns, returns
from states.services.deps import Deps
from states.services.lookup import ReturnRound, return_round


def _cases(
    deps: Deps, audit: str | int, actor: str | int, agency: str, case: str | None
) -> tuple[str, ...]:
    """The cases the workbook is for, once the actor is known to be allowed them."""
    if case is not None:
        returns.read(deps, audit=audit, actor=actor, agency=agency, case=case)
        return (case,)
    return case_returns.returnable(deps, audit=audit, actor=actor, agency=agency)


def _fits(found: ReturnRound, agency: str, cases: tuple[str, ...]) -> None:
    # Each case takes a sheet per section; About and Lists take two more.
    most = (MAX_SHEETS - len((ABOUT, LISTS))) // max(len(layout(found.tool, found.phase)), 1)
    if len(cases) > most:
        raise InvalidInput(
            f"Agency {agency} has {len(cases)} cases on audit {found.reference}, more than one "
            f"workbook holds ({most}); export them one at a time with --case."
        )


def _title(found: ReturnRound, agency: str, cases: tuple[str, ...]) -> str:
    title = f"{found.agency_name} ({agency}), audit {found.reference}"
    if len(cases) == 1:
        return f"{title}, case {cases[0]}"
    return f"{title}, {len(cases)} cases" if cases else title


def export(
    deps: Deps, *, audit: str | int, actor: str | int, agency: str, case: str | None = None
) -> bytes:
    """The return as a workbook, for whoever may read it (others are told it does not exist):
    without ``case`` on a per-case audit, one workbook with every case the actor may fill in."""
    cases = _cases(deps, audit, actor, agency, case)
    found = return_round(deps, audit=audit, agency=agency)
    _fits(found, agency, cases)
    answers = {
        subject: returns.read(deps, audit=audit, actor=actor, agency=agency, case=subject).answers
        for subject in cases or (None,)
    }
    stamp = Stamp(found.reference, agency, cases)
    return export_return(
        found.tool, found.phase, answers, stamp=stamp, title=_title(found, agency, cases)
    )


def import_(
    deps: Deps,
    *,
    audit: str | int,
    actor: str | int,
    agency: str,
    case: str | None = None,
    data: bytes,
    submit: bool = False,
) -> tuple[returns.ReturnView, ...]:
    """Save (or submit) the returns a workbook carries, each case's or the agency's own; a
    workbook for another return, or with any problem in any case's sheets, saves nothing."""
    # Access first, so someone else's return is "not found" before their file is even opened.
    cases = _cases(deps, audit, actor, agency, case)
    found = return_round(deps, audit=audit, agency=agency)
    if not found.returns_open:
        raise ReturnsClosed(audit=found.reference, state=found.state)
    expected = Expected(found.reference, agency, cases, case)
    answers = read_return(found.tool, found.phase, data, expected=expected, complete=submit)
    return case_returns.save_all(
        deps, audit=audit, actor=actor, agency=agency, answers=answers, submit=submit
    )
