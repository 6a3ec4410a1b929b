"""``oscp audit ...``: start, fire, show, history, list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from oscp_flow.cli.common import AsPerson, acting_person, audit_app, err, out, run_action

if TYPE_CHECKING:
    from states.services.deps import Deps


@audit_app.command("start")
def audit_start(
    audit_type: str,
    theme: Annotated[str, typer.Option(help="The audit's theme, e.g. 'Domestic abuse'.")],
    lead: Annotated[
        str,
        typer.Option(
            help="E-mail of the chair and report author; for an exception report an agency "
            "raises, the learning hub member or coordinator who chairs its triage."
        ),
    ],
    agency: Annotated[
        list[str] | None,
        typer.Option(
            help="Agency code taking part (repeat); an agency lead raising an exception "
            "report is taking part for their own agency, given or not."
        ),
    ] = None,
    as_person: AsPerson = None,
) -> None:
    """Start an audit of TYPE on its current definition. Coordinators start any type; an
    agency lead raises a single_agency_exception report for their own agency."""
    from states.services import audits

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        fired = audits.start_audit(
            deps, audit_type=audit_type, theme=theme, lead=lead, actor=actor, agencies=agency or []
        )
        out.print(f"Started {fired.reference} ({audit_type}) in state {fired.to_state}.")
        warn_unasked(fired.unasked)

    run_action(action)


def warn_unasked(names: Sequence[str]) -> None:
    """A plain warning for each agency or setting nobody will be asked for a return."""
    for name in names:
        err.print(
            f"Warning: {name} has no active agency lead in the directory, so nobody there "
            "will be asked for its return; add one before returns open.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@audit_app.command("fire")
def audit_fire(
    audit: str,
    trigger: str,
    as_person: AsPerson = None,
    reason: Annotated[str | None, typer.Option(help="Why (required by some triggers).")] = None,
    expect_version: Annotated[
        int | None, typer.Option(help="Refuse if the audit changed since this version.")
    ] = None,
) -> None:
    """Fire TRIGGER on AUDIT: gates are checked, the change and its event are saved together."""
    from states.services import audits

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        fired = audits.fire(
            deps,
            audit=audit,
            trigger=trigger,
            actor=actor,
            reason=reason,
            expected_version=expect_version,
        )
        moved = "recorded" if fired.from_state == fired.to_state else f"now {fired.to_state}"
        out.print(f"{fired.reference}: {trigger} done, {moved} (version {fired.version}).")

    run_action(action)


@audit_app.command("show")
def audit_show(audit: str, as_person: AsPerson = None) -> None:
    """Where AUDIT is, what can happen next (and what blocks it), its deadlines, each
    agency's returns (and the cases each still owes), its terms of reference, what it must
    share, and each sign-off decision (with its comment, for the chair and coordinators)."""
    from oscp_flow.cli.planning import show_terms
    from oscp_flow.cli.sharing import show_sharing
    from oscp_flow.cli.sign_off import show_sign_off
    from oscp_flow.output import show_returns, show_status
    from states.services import queries, returns_status, shared_items, sign_off_views, terms

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        show_status(out, queries.audit_status(deps, audit=audit, as_person=actor))
        show_returns(out, returns_status.returns_status(deps, audit=audit, as_person=actor))
        show_terms(out, terms.read_terms(deps, audit=audit))
        show_sharing(out, shared_items.sharing_of(deps, audit=audit))
        show_sign_off(out, sign_off_views.sign_off_of(deps, audit=audit, viewer=actor))

    run_action(action)


@audit_app.command("history")
def audit_history(audit: str) -> None:
    """Every change to AUDIT: who, when, trigger, from, to and why."""
    from oscp_flow.output import show_history
    from states.services import queries

    run_action(lambda deps: show_history(out, audit, queries.history(deps, audit=audit)))


@audit_app.command("list")
def audit_list(
    audit_type: Annotated[str | None, typer.Option("--type", help="Only this audit type.")] = None,
) -> None:
    """All audits, oldest first."""
    from oscp_flow.cli.next_steps import say_next_steps
    from oscp_flow.output import show_audits
    from states.services import queries

    def action(deps: Deps) -> None:
        audits = queries.list_audits(deps, audit_type=audit_type)
        show_audits(out, audits)
        if not audits:
            say_next_steps(deps)

    run_action(action)


@audit_app.command("preview")
def audit_preview(
    audit: Annotated[str | None, typer.Argument(help="A running audit (SQLite).")] = None,
    audit_type: Annotated[
        str | None, typer.Option("--type", help="Preview a whole cycle of this type instead.")
    ] = None,
) -> None:
    """Every deadline and e-mail to come, on a throw-away copy with a time-skipping clock."""
    from oscp_flow.output import show_preview
    from oscp_flow.rehearsal.preview import preview_audit, preview_type

    if (audit is None) == (audit_type is None):
        out.print("Give either an audit reference or --type TYPE.")
        raise typer.Exit(2)

    def action(deps: Deps) -> None:
        if audit is not None:
            lines = preview_audit(deps, audit=audit)
        else:
            assert audit_type is not None
            lines = preview_type(deps.catalogue, audit_type=audit_type, start=deps.clock.now())
        show_preview(out, lines)

    run_action(action)
