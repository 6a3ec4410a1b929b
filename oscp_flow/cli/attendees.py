"""``oscp audit attendees add``: the course attendees a training-impact audit is based on.

Attendees are registered by number (the engine gives each a pseudonymous reference) or from a
CSV of the partnership's own pseudonymous references, never by name. Each belongs to the
agency whose training lead returns their answers through the agency's e-mailed return link.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from oscp_flow.cli.common import AsPerson, acting_person, audit_app, err, out, run_action

if TYPE_CHECKING:
    from states.services.attendees import NewAttendee
    from states.services.deps import Deps

attendees_app = typer.Typer(no_args_is_help=True, help="Course attendees of a training audit.")
audit_app.add_typer(attendees_app, name="attendees")

CSV_COLUMNS = ("reference", "agency", "course", "cohort")
# A long list is summed up rather than echoed whole.
SHOWN = 20


def read_attendees(path: Path) -> list[NewAttendee]:
    """Rows of the attendees CSV (reference, agency, course, cohort); the engine checks each
    reference is pseudonymous."""
    from states.services.attendees import NewAttendee

    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or set(CSV_COLUMNS) - set(rows[0]):
        err.print(f"[bold red]Error:[/] {path.name} needs the columns {', '.join(CSV_COLUMNS)}.")
        raise typer.Exit(1)
    return [
        NewAttendee(
            agency=row["agency"].strip(),
            course=row["course"],
            cohort=row["cohort"],
            reference=row["reference"].strip(),
        )
        for row in rows
        if any((value or "").strip() for value in row.values())
    ]


@attendees_app.command("add")
def attendees_add(
    audit: str,
    *,
    agency: Annotated[
        str | None, typer.Option(help="Code of the agency whose training lead returns them.")
    ] = None,
    course: Annotated[str | None, typer.Option(help="The course attended.")] = None,
    cohort: Annotated[str | None, typer.Option(help="The cohort (for example 2026-09).")] = None,
    count: Annotated[int | None, typer.Option(help="How many attendees to register.")] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="CSV: " + ", ".join(CSV_COLUMNS) + " (pseudonymous references, never names).",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ] = None,
    as_person: AsPerson = None,
) -> None:
    """Register attendees of AUDIT: --count N of one --agency, --course and --cohort, or --file."""
    from states.services.attendees import attendees, register_attendees

    actor = acting_person(as_person)
    by_count = (agency, course, cohort, count)
    if (file is None) == (None in by_count) or (file is not None and any(by_count)):
        err.print(
            "[bold red]Error:[/] give --agency, --course, --cohort and --count, or --file, "
            "not both."
        )
        raise typer.Exit(2)

    def action(deps: Deps) -> None:
        if file is not None:
            new = read_attendees(file)
        else:
            assert agency and course and cohort and count is not None  # checked above
            new = attendees(agency=agency, course=course, cohort=cohort, count=count)
        references = register_attendees(deps, audit=audit, actor=actor, new=new)
        more = len(references) - SHOWN
        shown = ", ".join(references[:SHOWN]) + (f" and {more} more" if more > 0 else "")
        out.print(f"Registered {len(references)} attendee(s): {shown}.")

    run_action(action)
