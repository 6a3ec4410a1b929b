"""``oscp programme ...``: load the three-year audit programme, see it, start its audits."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from oscp_flow.cli.common import AsPerson, acting_person, app, err, out, run_action

if TYPE_CHECKING:
    from collections.abc import Sequence

    from states.services.deps import Deps
    from states.services.programme import EntryView, LoadResult

programme_app = typer.Typer(
    no_args_is_help=True, help="The audit programme: load the plan, see it, start its audits."
)
app.add_typer(programme_app, name="programme")

PROGRAMME_FILE = Path("programme") / "oscp-2025-28.yaml"


def default_programme() -> Path:
    """Beside the audit types (``definitions/``), so OSCP_DEFINITIONS moves both together."""
    from oscp_flow.settings import Settings

    return Settings().definitions.parent / PROGRAMME_FILE


@programme_app.command("load")
def programme_load(
    path: Annotated[
        Path | None, typer.Argument(help="The programme file (default: the shipped 2025-28 one).")
    ] = None,
) -> None:
    """Store the programme; loading the same file again changes nothing."""
    from states.errors import DefinitionError
    from states.services import programme

    def action(deps: Deps) -> None:
        try:
            result = programme.load_programme(deps, path or default_programme())
        except DefinitionError as exc:
            # Every problem, as `definitions validate` lists them: fix them all in one pass.
            for problem in exc.problems:
                err.print(f"[bold red]Error:[/] {problem}.", highlight=False, soft_wrap=True)
            err.print("Nothing was stored.")
            raise typer.Exit(1) from None
        _show_load(result)

    run_action(action)


def _show_load(result: LoadResult) -> None:
    out.print(
        f"{result.programme}: {len(result.added)} added, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged.",
        highlight=False,
    )
    if result.removed:
        out.print(f"Removed (no longer in the file): {', '.join(result.removed)}.")
    if result.kept:
        out.print(
            "No longer in the file but kept, because an audit was started for them: "
            f"{', '.join(result.kept)}."
        )


@programme_app.command("show")
def programme_show(
    year: Annotated[int | None, typer.Option(help="Only entries due in this year.")] = None,
) -> None:
    """The programme in date order, with the audit started for each entry and its state."""
    from oscp_flow.cli.next_steps import say_next_steps
    from states.services import programme

    def action(deps: Deps) -> None:
        entries = programme.list_entries(deps, year=year)
        _show_entries(entries)
        if not entries:
            say_next_steps(deps)

    run_action(action)


def _due(entry: EntryView) -> str:
    from states.rules.quarters import MONTH_NAMES

    if entry.due_year is None:
        return "—"
    month = "" if entry.due_month is None else f"{MONTH_NAMES[entry.due_month - 1][:3]} "
    every = "" if entry.due_recurring is None else f", {entry.due_recurring}"
    return f"{month}{entry.due_year}{every}"


def _signed_off(entry: EntryView) -> str:
    """The day the engine recorded its audit signed off, else the plan's own words."""
    from states.rules.quarters import plain_day

    if entry.signed_off_on is not None:
        return f"signed off {plain_day(entry.signed_off_on)}"
    return entry.sign_off


def _show_entries(entries: Sequence[EntryView]) -> None:
    table = Table(title="Audit programme")
    # Keys, types and references are typed back in other commands: never cut or wrapped.
    exact = {"key", "type", "audit"}
    for column in ("key", "timeframe", "due", "theme", "type", "author", "sign-off", "audit"):
        table.add_column(column, no_wrap=column in exact)
    for e in entries:
        audit = "—" if e.audit_reference is None else f"{e.audit_reference} ({e.audit_state})"
        table.add_row(
            e.key,
            e.timeframe,
            _due(e),
            e.theme,
            e.audit_type,
            e.report_author,
            _signed_off(e),
            audit,
        )
    out.print(table)
    out.print(f"{len(entries)} programme entr{'y' if len(entries) == 1 else 'ies'}.")


@programme_app.command("start")
def programme_start(
    key: str,
    lead: Annotated[str, typer.Option(help="E-mail of the chair and report author.")],
    agency: Annotated[
        list[str] | None, typer.Option(help="Agency code taking part (repeat).")
    ] = None,
    as_person: AsPerson = None,
) -> None:
    """Start the audit for programme entry KEY (its type and theme) and link it to the entry."""
    from oscp_flow.cli.audit import warn_unasked
    from states.services import programme

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        fired = programme.start_from_programme(
            deps, key=key, lead=lead, actor=actor, agencies=agency or ()
        )
        out.print(f"Started {fired.reference} for {key} in state {fired.to_state}.")
        warn_unasked(fired.unasked)

    run_action(action)


@programme_app.command("link")
def programme_link(key: str, audit: str) -> None:
    """Record AUDIT as the audit for programme entry KEY, e.g. one started by hand."""
    from states.services import programme

    def action(deps: Deps) -> None:
        programme.link_audit(deps, key, audit)
        out.print(f"{key} is linked to {audit}.")

    run_action(action)
