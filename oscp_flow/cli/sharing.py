"""``oscp audit shared``: recording that an audit shared what its type declares it must (the
learning hub, the website, a 7-minute briefing...), by which channel and on which day; and
the table ``oscp audit show`` prints of it."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from oscp_flow.cli.common import AsPerson, acting_person, audit_app, err, out, run_action

if TYPE_CHECKING:
    from states.services.deps import Deps
    from states.services.shared_items import Sharing


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        err.print("[bold red]Error:[/] dates are written YYYY-MM-DD, e.g. 2026-06-30.")
        raise typer.Exit(2) from None


@audit_app.command("shared")
def audit_shared(
    audit: str,
    item: Annotated[str, typer.Argument(help="What was shared, as the audit type names it.")],
    *,
    channel: Annotated[
        str, typer.Option(help="How it went out: one of the item's channels (audit show).")
    ],
    on: Annotated[
        str, typer.Option("--on", help="The day it went out, YYYY-MM-DD: today or earlier.")
    ],
    as_person: AsPerson = None,
) -> None:
    """Record that AUDIT shared ITEM by --channel on --on (a day already past may be given).
    Impact monitoring waits until every item the type declares is recorded."""
    from states.services.shared_items import record_shared, sharing_of

    actor = acting_person(as_person)
    day = _day(on)

    def action(deps: Deps) -> None:
        new = record_shared(deps, audit=audit, actor=actor, item=item, channel=channel, on=day)
        done = "Recorded" if new else "Already recorded"
        out.print(f"{done}: {audit} shared {item} by {channel} on {day:%d %B %Y}.")
        waiting = [i.id for i in sharing_of(deps, audit=audit).waiting]
        if waiting:
            out.print(f"Still to record as shared: {', '.join(waiting)}.")
        else:
            out.print("Everything this audit must share is recorded.")

    run_action(action)


def show_sharing(console: Console, sharing: Sharing) -> None:
    """What the audit must share and what is recorded, for ``oscp audit show``."""
    if not sharing.declared:
        console.print(
            "Sharing: this audit started before its type declared what it must share, so "
            "nothing is asked of it."
        )
        return
    table = Table(title="What the audit must share")
    for column in ("item", "title", "channels", "shared"):
        table.add_column(column)
    for item in sharing.items:
        shared = "; ".join(
            f"{r.shared_on:%d %b %Y} by {r.channel} ({escape(r.recorded_by)})" for r in item.records
        )
        table.add_row(item.id, item.title, ", ".join(item.channels), shared or "not yet")
    console.print(table)
