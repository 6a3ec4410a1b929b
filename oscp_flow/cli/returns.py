"""``oscp return ...``: one return as an Excel workbook, exported to fill in and imported back;
reopening a return and sending an agency its return link again. ``oscp audit extend`` moves
the deadline of the round of returns (or any open deadline) on.

A rejected workbook is listed one cell per line, so a person can work down the list in Excel.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from oscp_flow.cli.common import (
    AsPerson,
    acting_person,
    app,
    audit_app,
    err,
    out,
    run_action,
)

if TYPE_CHECKING:
    from oscp_flow.excel import SpreadsheetRejected
    from states.services.deps import Deps

returns_app = typer.Typer(
    no_args_is_help=True, help="Fill in a return offline: export it to Excel and import it back."
)
app.add_typer(returns_app, name="return")

CaseRef = Annotated[
    str | None, typer.Option("--case", help="The sampled case, for tools completed per case.")
]
ExportCase = Annotated[
    str | None,
    typer.Option(
        "--case",
        help="Only this sampled case; without it, one workbook carries every case of the agency.",
    ),
]
ImportCase = Annotated[
    str | None,
    typer.Option(
        "--case",
        help="Check that the workbook is this case's return; the workbook says its cases anyway.",
    ),
]


@returns_app.command("export")
def return_export(
    audit: str,
    agency: str,
    *,
    output: Annotated[Path, typer.Option("--output", "-o", help="The .xlsx file to write.")],
    case: ExportCase = None,
    as_person: AsPerson = None,
) -> None:
    """Write AGENCY's return on AUDIT to an Excel workbook, with any answers saved so far: on
    an audit of cases, one set of sheets for each of the agency's cases."""
    from oscp_flow import excel

    actor = acting_person(as_person)
    if output.suffix.lower() != ".xlsx":
        err.print("[bold red]Error:[/] the output file name must end in .xlsx.")
        raise typer.Exit(2)

    def action(deps: Deps) -> None:
        output.write_bytes(excel.export(deps, audit=audit, actor=actor, agency=agency, case=case))
        out.print(
            f"Wrote {escape(str(output))}: answer in column C of each sheet, then run "
            "'oscp return import'.",
            highlight=False,
            soft_wrap=True,
        )

    run_action(action)


@returns_app.command("import")
def return_import(
    audit: str,
    agency: str,
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The .xlsx file.")
    ],
    *,
    case: ImportCase = None,
    submit: Annotated[
        bool, typer.Option("--submit", help="Submit the return, not just save a draft.")
    ] = False,
    as_person: AsPerson = None,
) -> None:
    """Save AGENCY's return on AUDIT from a workbook, every case it carries; a workbook for
    another audit, agency or case, or with any problem, saves nothing."""
    from oscp_flow import excel

    actor = acting_person(as_person)
    rejected: list[SpreadsheetRejected] = []

    def action(deps: Deps) -> None:
        # One byte past the limit is enough to refuse it; a huge file is never read whole.
        with file.open("rb") as handle:
            data = handle.read(excel.MAX_BYTES + 1)
        try:
            views = excel.import_(
                deps, audit=audit, actor=actor, agency=agency, case=case, data=data, submit=submit
            )
        except excel.SpreadsheetRejected as exc:
            # Listed after plain_errors has finished: an Exit raised inside it would be
            # reported as a failure of the engine.
            rejected.append(exc)
            return
        for view in views:
            which = f" for case {escape(view.case)}" if view.case else ""
            out.print(
                f"{view.audit}: the {escape(agency)} return{which} is {view.status} "
                f"with {len(view.answers)} answer(s) saved.",
                soft_wrap=True,
            )

    run_action(action)
    if rejected:
        _show_problems(rejected[0])
        raise typer.Exit(1)


@returns_app.command("reopen")
def return_reopen(
    audit: str,
    agency: str,
    *,
    reason: Annotated[str, typer.Option(help="Why the return goes back to the agency.")],
    case: CaseRef = None,
    as_person: AsPerson = None,
) -> None:
    """Reopen AGENCY's submitted return on AUDIT while returns are open (the coordinator):
    its findings go back, and the agency's leads are e-mailed a fresh link to it."""
    from states.services import returns

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        view = returns.reopen(
            deps, audit=audit, actor=actor, agency=agency, case=case, reason=reason
        )
        which = f"the {escape(agency)} return" + (f" for case {escape(case)}" if case else "")
        out.print(
            f"{view.audit}: {which} is a draft again; a fresh link to it goes to the "
            "agency's leads by e-mail.",
            highlight=False,
            soft_wrap=True,
        )

    run_action(action)


@returns_app.command("resend")
def return_resend(audit: str, agency: str, *, as_person: AsPerson = None) -> None:
    """E-mail AGENCY's audit leads a fresh link to their return on AUDIT while returns are
    open (the chair or coordinator); the links they had stop working."""
    from states.services.return_links import resend_return_link

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        sent = resend_return_link(deps, audit=audit, actor=actor, agency=agency)
        people = "audit lead" if sent == 1 else f"{sent} audit leads"
        out.print(
            f"{escape(audit)}: a fresh link to the {escape(agency)} return goes to its "
            f"{people} by e-mail; the links sent before no longer work.",
            highlight=False,
            soft_wrap=True,
        )

    run_action(action)


@audit_app.command("extend")
def audit_extend(
    audit: str,
    *,
    until: Annotated[str, typer.Option(help="The new deadline's day, YYYY-MM-DD.")],
    reason: Annotated[str, typer.Option(help="Why the deadline moves.")],
    as_person: AsPerson = None,
) -> None:
    """Move AUDIT's open deadline to close of business on UNTIL (the coordinator); its
    reminders still to come are worked out again from the new date."""
    from states.rules.quarters import plain_day
    from states.services import work

    actor = acting_person(as_person)
    try:
        day = date.fromisoformat(until.strip())
    except ValueError:
        err.print("[bold red]Error:[/] dates are written YYYY-MM-DD, e.g. 2027-03-31.")
        raise typer.Exit(2) from None

    def action(deps: Deps) -> None:
        work.extend_deadline(deps, audit=audit, actor=actor, until=day, reason=reason)
        out.print(
            f"{escape(audit)}: the deadline is now close of business on {plain_day(day)}; "
            "its reminders are worked out again from that date.",
            highlight=False,
            soft_wrap=True,
        )

    run_action(action)


def _show_problems(rejected: SpreadsheetRejected) -> None:
    count = len(rejected.problems)
    err.print(
        f"[bold red]Error:[/] the workbook was not imported and nothing was saved; "
        f"fix {'this problem' if count == 1 else f'these {count} problems'} and import it again:",
        highlight=False,
        soft_wrap=True,
    )
    for problem in rejected.problems:
        text = str(problem)
        err.print(escape(text[:1].upper() + text[1:]), highlight=False, soft_wrap=True)
