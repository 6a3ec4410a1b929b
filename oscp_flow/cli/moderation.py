"""``oscp findings list|confirm|change``: moderating an audit's findings at scale.

The list shows each finding with the question and the answer it came from, so a moderator
can read and confirm a page at a time (``confirm --all-shown`` with the same filters
confirms exactly the findings the list showed them). Who sees and moderates which findings
is the engine's rule: an agency lead their own agency's, the chair and auditors every one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from oscp_flow.cli.common import AsPerson, acting_person, app, err, out, run_action

if TYPE_CHECKING:
    from states.services.deps import Deps
    from states.services.finding_views import FindingFilter, FindingView

findings_app = typer.Typer(no_args_is_help=True, help="Moderate an audit's findings.")
app.add_typer(findings_app, name="findings")

Section = Annotated[str | None, typer.Option(help="Only this section of the tool (its id).")]
Agency = Annotated[str | None, typer.Option(help="Only this agency's findings (its code).")]
Case = Annotated[str | None, typer.Option(help="Only this case (its pseudonymous reference).")]
Unmoderated = Annotated[bool, typer.Option("--unmoderated", help="Only those not yet moderated.")]


def _filter(
    section: str | None, agency: str | None, case: str | None, unmoderated: bool
) -> FindingFilter:
    from states.services.finding_views import FindingFilter

    return FindingFilter(section=section, agency=agency, case=case, unmoderated=unmoderated)


@findings_app.command("list")
def findings_list(
    audit: str,
    *,
    section: Section = None,
    agency: Agency = None,
    case: Case = None,
    unmoderated: Unmoderated = False,
    as_person: AsPerson = None,
) -> None:
    """The findings of AUDIT you may moderate, with the question and answer each came from."""
    from states.services import findings

    actor = acting_person(as_person)
    shown = _filter(section, agency, case, unmoderated)

    def action(deps: Deps) -> None:
        found = findings.list_findings(deps, audit=audit, actor=actor, shown=shown)
        if found:
            out.print(findings_table(found))
        waiting = sum(not f.moderated for f in found)
        out.print(f"{len(found)} finding(s) shown, {waiting} not yet moderated.")

    run_action(action)


def findings_table(found: list[FindingView]) -> Table:
    table = Table(title="Findings")
    for column in ("id", "section", "agency", "case", "kind", "rating", "moderated", "question"):
        table.add_column(column, justify="right" if column == "id" else "left")
    table.add_column("answer", overflow="fold")
    for f in found:
        table.add_row(
            str(f.id),
            f.section or "(panel)",
            f.agency or "—",
            f.case or "—",
            f.kind,
            _rating(f),
            "yes" if f.moderated else "no",
            f.question or "—",
            f.answer or "—",
        )
    return table


def _rating(f: FindingView) -> str:
    if f.original_rating is None:
        return "—"
    if f.moderated_rating not in (None, f.original_rating):
        return f"{f.original_rating} → {f.moderated_rating}"
    return f.original_rating


@findings_app.command("confirm")
def findings_confirm(
    audit: str,
    ids: Annotated[list[int] | None, typer.Argument(help="Ids of the findings to confirm.")] = None,
    *,
    all_shown: Annotated[
        bool, typer.Option("--all-shown", help="Every finding the filters show.")
    ] = False,
    section: Section = None,
    agency: Agency = None,
    case: Case = None,
    unmoderated: Unmoderated = False,
    as_person: AsPerson = None,
) -> None:
    """Confirm findings as rated, in one step: by id, or all that `findings list` shows
    with the same filters. Findings already moderated are left as they are."""
    from states.services import moderation

    actor = acting_person(as_person)
    filtered = any((section, agency, case, unmoderated))
    if bool(ids) == all_shown or (filtered and not all_shown):
        err.print(
            "[bold red]Error:[/] give the ids of the findings to confirm, or --all-shown "
            "(with the filters of the list), not both."
        )
        raise typer.Exit(2)
    shown = _filter(section, agency, case, unmoderated) if all_shown else None

    def action(deps: Deps) -> None:
        done = moderation.confirm_findings(
            deps, audit=audit, actor=actor, ids=ids or (), shown=shown
        )
        left = (
            f"; {done.already_moderated} already moderated left as they were"
            if done.already_moderated
            else ""
        )
        out.print(f"Confirmed {done.confirmed} finding(s){left}.")

    run_action(action)


@findings_app.command("change")
def findings_change(
    audit: str,
    finding: int,
    rating: Annotated[str, typer.Option(help="The grade moderation gives it.")],
    rationale: Annotated[str, typer.Option(help="Why the rating changed.")],
    as_person: AsPerson = None,
) -> None:
    """Change the rating of FINDING, with the rationale the record keeps."""
    from states.services import findings

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        findings.change_rating(
            deps, audit=audit, actor=actor, finding_id=finding, rating=rating, rationale=rationale
        )
        out.print(f"Finding {finding} rated {rating} at moderation.")

    run_action(action)
