"""``oscp audit terms`` and ``oscp audit auditors ...``: planning an audit before returns open.

The terms of reference are recorded as data (and shown by ``oscp audit show``); each sampled
case gets an auditor from the partnership's pool, and each auditor declares, for themselves,
whether they were involved in the case's practice or management (framework s.11).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from oscp_flow.cli.common import AsPerson, acting_person, audit_app, out, run_action

if TYPE_CHECKING:
    from states.services.auditors import AuditorsView, Declared
    from states.services.deps import Deps
    from states.services.terms import Recorded

auditors_app = typer.Typer(
    no_args_is_help=True,
    help="Auditors on an audit's cases: assign them, list them, declare involvement.",
)
audit_app.add_typer(auditors_app, name="auditors")


@audit_app.command("terms")
def audit_terms(
    audit: str,
    *,
    scope: Annotated[str | None, typer.Option(help="What the audit covers.")] = None,
    time_window: Annotated[
        str | None, typer.Option(help="The period of practice looked at.")
    ] = None,
    methodology: Annotated[str | None, typer.Option(help="How the audit is done.")] = None,
    tool: Annotated[
        str | None, typer.Option(help="The audit tool (the audit's own when not given).")
    ] = None,
    sample_rationale: Annotated[
        str | None, typer.Option(help="Why these cases or returns are sampled.")
    ] = None,
    timetable: Annotated[str | None, typer.Option(help="When each step happens.")] = None,
    as_person: AsPerson = None,
) -> None:
    """Record AUDIT's terms of reference while it is planned (every part the first time;
    afterwards only the parts to change). They must be recorded before they are agreed."""
    from states.services import terms

    actor = acting_person(as_person)
    given = {
        "scope": scope,
        "time_window": time_window,
        "methodology": methodology,
        "tool": tool,
        "sample_rationale": sample_rationale,
        "timetable": timetable,
    }

    def action(deps: Deps) -> None:
        recorded = terms.record_terms(deps, audit=audit, actor=actor, **given)
        out.print(f"Terms of reference recorded on {audit}.", highlight=False)
        show_terms(out, recorded)

    run_action(action)


def show_terms(console: Console, recorded: Recorded | None) -> None:
    """The terms of reference as a table; nothing when none are recorded (where a type
    needs them, the next steps already say so by the ``terms_recorded`` gate)."""
    from states.services.terms import PARTS

    if recorded is None:
        return
    table = Table(title="Terms of reference", show_header=False)
    table.add_column("part", style="bold")
    table.add_column("agreed")
    for part, label in PARTS.items():
        table.add_row(label, escape(getattr(recorded.terms, part)))
    console.print(table)
    console.print(
        f"Recorded by {escape(recorded.recorded_by)} on "
        f"{recorded.recorded_at:%d %B %Y at %H:%M} UTC.",
        highlight=False,
    )


@auditors_app.command("assign")
def auditors_assign(audit: str, case: str, auditor: str, as_person: AsPerson = None) -> None:
    """Assign CASE of AUDIT to AUDITOR (an e-mail from the auditor pool); they then declare."""
    from states.services import auditors

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        auditors.assign_auditor(deps, audit=audit, actor=actor, case=case, auditor=auditor)
        out.print(
            f"{escape(auditor)} assigned to case {escape(case)} on {audit}; they declare any "
            "involvement with 'oscp audit auditors declare'.",
            highlight=False,
            soft_wrap=True,
        )

    run_action(action)


@auditors_app.command("declare")
def auditors_declare(
    audit: str,
    case: str,
    involvement: Annotated[str, typer.Argument(help="none, practice or management")],
    as_person: AsPerson = None,
) -> None:
    """As the auditor assigned to CASE, declare your involvement in its practice or
    management (or none). A declared involvement ends the assignment."""
    from states.persistence.vocabulary import Involvement
    from states.services import auditors

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        said = auditors.declare(deps, audit=audit, actor=actor, case=case, involvement=involvement)
        if said == Involvement.NONE:
            out.print(f"Declared no involvement in case {escape(case)} on {audit}.")
        else:
            out.print(
                f"Declared involvement in the {said.value} of case {escape(case)}: you no "
                f"longer audit it, and the coordinator assigns another auditor.",
                highlight=False,
                soft_wrap=True,
            )

    run_action(action)


@auditors_app.command("list")
def auditors_list(audit: str) -> None:
    """AUDIT's cases, the auditor on each and what they declared, and the auditor pool."""
    from states.services import auditors

    run_action(lambda deps: show_auditors(out, auditors.list_auditors(deps, audit=audit)))


def _declared(d: Declared) -> str:
    if not d.assigned:
        return f"[red]barred: involved in its {d.involvement}[/]"
    if d.involvement is None:
        return "[yellow]assigned, declaration awaited[/]"
    return "[green]assigned, no involvement[/]"


def show_auditors(console: Console, view: AuditorsView) -> None:
    cases = Table(title=f"Auditors on {view.audit}'s cases")
    for column in ("case", "auditor", "agency", "declaration"):
        cases.add_column(column)
    for case in view.cases:
        on = view.on(case)
        if not any(d.assigned for d in on):
            cases.add_row(escape(case), "[bold red]no auditor yet[/]", "", "")
        for d in on:
            who = f"{escape(d.auditor.name)} <{escape(d.auditor.email)}>"
            cases.add_row(escape(case), who, escape(d.auditor.agency or ""), _declared(d))
    console.print(cases)
    pool = Table(title="The auditor pool")
    for column in ("auditor", "e-mail", "agency"):
        pool.add_column(column)
    for m in view.pool:
        pool.add_row(escape(m.name), escape(m.email), escape(m.agency or ""))
    console.print(pool)
