"""``oscp action add|list|update|accept|carry-forward``: a signed-off audit's action plan.

The chair or coordinator adds actions; the owner agency's lead or strategic lead records
progress and evidence; a learning hub member or the coordinator accepts the evidence or sends
it back; the coordinator carries unfinished actions into the next audit of the same theme.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from oscp_flow.cli.common import AsPerson, acting_person, app, err, out, run_action

if TYPE_CHECKING:
    from collections.abc import Sequence

    from states.services.actions import ActionView
    from states.services.deps import Deps

action_app = typer.Typer(
    no_args_is_help=True,
    help="Action plans: add actions, record progress and evidence, accept it, carry forward.",
)
app.add_typer(action_app, name="action")

Due = Annotated[str, typer.Option("--due", help="Due date, YYYY-MM-DD.")]
STATUS_CHOICES = ("in_progress", "evidence_submitted", "withdrawn")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        err.print("[bold red]Error:[/] dates are written YYYY-MM-DD, e.g. 2026-06-30.")
        raise typer.Exit(2) from None


@action_app.command("add")
def action_add(
    audit: str,
    owner: Annotated[str, typer.Option(help="Code of the agency that owns the action.")],
    due: Due,
    recommendation: Annotated[str, typer.Option(help="The recommendation, as the action.")],
    as_person: AsPerson = None,
) -> None:
    """Add an action to AUDIT's plan (once its report is signed off)."""
    from states.services import actions

    actor = acting_person(as_person)
    due_on = _date(due)

    def action(deps: Deps) -> None:
        number = actions.add_action(
            deps,
            audit=audit,
            actor=actor,
            recommendation=recommendation,
            owner=owner,
            due_on=due_on,
        )
        out.print(f"Action {number} added to {audit} for {owner}, due {due_on:%d %B %Y}.")

    run_action(action)


@action_app.command("list")
def action_list(audit: str, as_person: AsPerson = None) -> None:
    """AUDIT's actions as you may see them: all of them, or your own agency's."""
    from states.services import actions

    actor = acting_person(as_person)
    run_action(lambda deps: _show(actions.list_actions(deps, audit=audit, as_person=actor)))


def _show(views: Sequence[ActionView]) -> None:
    table = Table(title="Action plan")
    for column in ("no.", "owner", "due", "status", "recommendation", "evidence", "carried"):
        table.add_column(column, no_wrap=column in ("no.", "owner", "due"))
    for v in views:
        carried = " ".join(
            filter(
                None,
                (
                    v.carried_from and f"from {v.carried_from}",
                    v.carried_to and f"to {v.carried_to}",
                ),
            )
        )
        status = v.status.replace("_", " ")
        if v.review_note and v.status in ("in_progress", "withdrawn"):
            status += f" ({v.review_note})"
        table.add_row(
            str(v.number),
            v.owner,
            f"{v.due_on:%d %b %Y}",
            status,
            v.recommendation,
            v.evidence or "",
            carried,
        )
    out.print(table)
    out.print(f"{len(views)} action(s).")


@action_app.command("update")
def action_update(
    audit: str,
    number: int,
    *,
    status: Annotated[
        str | None, typer.Option(help="in_progress, evidence_submitted or withdrawn.")
    ] = None,
    evidence: Annotated[str | None, typer.Option(help="Evidence of impact.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why it is withdrawn.")] = None,
    due: Annotated[str | None, typer.Option("--due", help="A new due date, YYYY-MM-DD.")] = None,
    as_person: AsPerson = None,
) -> None:
    """Record progress on action NUMBER, submit its evidence, withdraw it, or move its date."""
    from states.services import actions

    actor = acting_person(as_person)
    if (status is None) == (due is None):
        # One change per command: the two are made by different people (the owner agency
        # records progress, the chair or coordinator moves dates), so never half-done.
        err.print("[bold red]Error:[/] give either --status or --due.")
        raise typer.Exit(2)
    if status is not None and status not in STATUS_CHOICES:
        err.print(f"[bold red]Error:[/] --status is one of {', '.join(STATUS_CHOICES)}.")
        raise typer.Exit(2)
    due_on = None if due is None else _date(due)

    def action(deps: Deps) -> None:
        if due_on is not None:
            actions.change_due_date(deps, audit=audit, actor=actor, number=number, due_on=due_on)
            out.print(f"Action {number} on {audit} is now due {due_on:%d %B %Y}.")
        if status is not None:
            actions.set_status(
                deps,
                audit=audit,
                actor=actor,
                number=number,
                status=status,
                evidence=evidence,
                reason=reason,
            )
            out.print(f"Action {number} on {audit} is now {status.replace('_', ' ')}.")

    run_action(action)


@action_app.command("accept")
def action_accept(
    audit: str,
    number: int,
    refuse: Annotated[
        bool, typer.Option("--refuse", help="Send the evidence back to the agency instead.")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why the evidence is not enough.")] = None,
    as_person: AsPerson = None,
) -> None:
    """Accept the evidence of impact for action NUMBER (or, with --refuse, send it back)."""
    from states.services import actions

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        if refuse:
            actions.refuse_evidence(
                deps, audit=audit, actor=actor, number=number, reason=reason or ""
            )
            out.print(f"Evidence for action {number} on {audit} sent back: in progress again.")
        else:
            actions.accept_evidence(deps, audit=audit, actor=actor, number=number)
            out.print(f"Evidence for action {number} on {audit} accepted.")

    run_action(action)


@action_app.command("carry-forward")
def action_carry_forward(
    audit: str,
    to: Annotated[
        str | None, typer.Option("--to", help="The audit to carry into (default: same theme).")
    ] = None,
    due: Annotated[
        str | None, typer.Option("--due", help="A new due date for them all, YYYY-MM-DD.")
    ] = None,
    as_person: AsPerson = None,
) -> None:
    """Carry AUDIT's open and in-progress actions into the next audit of its theme."""
    from states.services.carry_forward import carry_forward

    actor = acting_person(as_person)
    due_on = None if due is None else _date(due)

    def action(deps: Deps) -> None:
        done = carry_forward(deps, from_audit=audit, actor=actor, to_audit=to, due_on=due_on)
        if not done.numbers:
            out.print(f"{done.from_audit} has no open actions to carry forward.")
            return
        moved = ", ".join(f"{old} → {new}" for old, new in done.numbers)
        out.print(
            f"Carried {len(done.numbers)} action(s) from {done.from_audit} into "
            f"{done.to_audit}: {moved}."
        )

    run_action(action)
