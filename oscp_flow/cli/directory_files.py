"""``oscp directory import|export|template``: the directory from and to files.

An import reads the files, checks every row, works out against the directory what it would
add, change and deactivate, and shows that per part. With --dry-run, or when any row is wrong
(every problem is listed, one per line, to work down in Excel), nothing is stored; otherwise
the plan is stored in one transaction, which refuses it if the directory changed meanwhile.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from oscp_flow.cli.common import AsPerson, acting_person, directory_app, err, out, run_action

if TYPE_CHECKING:
    from rich.progress import Progress

    from states.errors import DirectoryRejected
    from states.rules.directory import ImportPlan
    from states.services.deps import Deps

SHOWN = 100  # entries listed one by one under the summary; the rest are counted
Done = TypeVar("Done")


class _Steps:
    """Each long step under a progress bar that says what is being done."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.task = progress.add_task("", total=total)

    def __call__(self, description: str, work: Callable[[], Done]) -> Done:
        self.progress.update(self.task, description=description)
        done = work()
        self.progress.advance(self.task)
        return done


@contextmanager
def _steps(total: int) -> Iterator[_Steps]:
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn())
    with Progress(*columns, console=out, transient=True) as progress:
        yield _Steps(progress, total)


def _written(write: Callable[[], Done], target: Path) -> Done:
    """A file that cannot be written is the person's to put right, in one sentence."""
    try:
        return write()
    except OSError as exc:
        err.print(
            f"[bold red]Error:[/] could not write {escape(str(target))} "
            f"({escape(exc.strerror or type(exc).__name__)}); choose another place.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from None


@directory_app.command("import")
def directory_import(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="A workbook (.xlsx), or CSV files (agencies.csv, ...), or their folder."
        ),
    ],
    *,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change, and store nothing.")
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why, for the directory's log.")
    ] = None,
    as_person: AsPerson = None,
) -> None:
    """Import the directory from FILES: entries are matched by code, URN or e-mail; rows left
    out change nothing; a file with any bad row stores nothing."""
    from oscp_flow.excel.directory_io import read_files
    from states.errors import DirectoryRejected
    from states.rules.directory import ChangeKind
    from states.rules.directory_plan import plan_import
    from states.rules.directory_rows import read_directory
    from states.services import directory

    actor = acting_person(as_person)
    if not dry_run and not (reason or "").strip():
        err.print("[bold red]Error:[/] say why with --reason TEXT (or look first with --dry-run).")
        raise typer.Exit(2)
    rejected: list[DirectoryRejected] = []

    def action(deps: Deps) -> None:
        with _steps(4 if dry_run else 5) as step:
            # The directory first: someone who may not keep it is refused before any file is read.
            current = step("Reading the directory", lambda: directory.snapshot(deps, viewer=actor))
            try:
                given = step("Reading the files", lambda: read_files(files))
                incoming = step("Checking every row", lambda: read_directory(given.parts, current))
            except DirectoryRejected as exc:
                # Listed once plain_errors is done: an Exit raised in it would read as a failure.
                rejected.append(exc)
                return
            plan = step("Comparing", lambda: plan_import(current, incoming, given.given))
            changes = [c for c in plan.changes if c.kind is not ChangeKind.UNCHANGED]
            if not dry_run and changes:
                step(
                    "Storing",
                    lambda: directory.apply_plan(deps, plan=plan, actor=actor, reason=reason or ""),
                )
        for note in given.notes:
            out.print(escape(note), highlight=False, soft_wrap=True)
        _show_plan(plan)
        if dry_run:
            out.print("Dry run: nothing was stored. Run it again without --dry-run to store it.")
        elif changes:
            out.print(f"Stored {len(changes)} change(s) to the directory.", highlight=False)
        else:
            out.print("The directory already holds everything in the file; nothing changed.")

    run_action(action)
    if rejected:
        _show_problems(rejected[0])
        raise typer.Exit(1)


def _show_plan(plan: ImportPlan) -> None:
    from states.rules.directory import ChangeKind, Part

    summary = Table(title="Directory import")
    for column in ("part", *(kind.value for kind in ChangeKind), "fields changed"):
        summary.add_column(column)
    for part in Part:
        fields = Counter(f for c in plan.changes if c.part is part for f in c.fields)
        shown = ", ".join(f"{name} ({count})" for name, count in sorted(fields.items()))
        counts = [str(plan.count(part, kind)) for kind in ChangeKind]
        summary.add_row(part.value, *counts, shown or "-")
    out.print(summary)
    changes = [c for c in plan.changes if c.kind is not ChangeKind.UNCHANGED]
    if not changes:
        return
    detail = Table(title="Changes")
    for column in ("part", "entry", "change", "fields"):
        detail.add_column(column)
    for c in changes[:SHOWN]:
        detail.add_row(c.part.value, escape(c.key), c.kind.value, ", ".join(c.fields) or "-")
    out.print(detail)
    if len(changes) > SHOWN:
        out.print(f"... and {len(changes) - SHOWN} more changes.", highlight=False)


def _show_problems(rejected: DirectoryRejected) -> None:
    count = len(rejected.problems)
    err.print(
        "[bold red]Error:[/] the directory was not imported and nothing was stored; fix "
        f"{'this problem' if count == 1 else f'these {count} problems'} and import it again:",
        highlight=False,
        soft_wrap=True,
    )
    for problem in rejected.problems:
        text = str(problem)
        if problem.where is None:  # a sentence of its own; a sheet's or file's name stays
            text = text[:1].upper() + text[1:]
        err.print(escape(text), highlight=False, soft_wrap=True)


@directory_app.command("export")
def directory_export(
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="A workbook (.xlsx), or a folder for one CSV file per part."
        ),
    ],
    as_person: AsPerson = None,
) -> None:
    """Write the directory to a workbook (or CSV files) to edit and import again."""
    from oscp_flow.excel.directory_io import export
    from states.services import directory

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        with _steps(2) as step:
            current = step("Reading the directory", lambda: directory.snapshot(deps, viewer=actor))
            written = step("Writing", lambda: _written(lambda: export(current, output), output))
        shown = ", ".join(escape(str(path)) for path in written)
        out.print(
            f"Wrote {shown}: edit it and run 'oscp directory import' (try --dry-run first).",
            highlight=False,
            soft_wrap=True,
        )

    run_action(action)


@directory_app.command("template")
def directory_template(
    output: Annotated[Path, typer.Option("--output", "-o", help="The .xlsx file to write.")],
) -> None:
    """Write an empty directory workbook to fill in: a sheet per part, with drop-downs."""
    from oscp_flow.excel.directory_book import XLSX
    from oscp_flow.excel.directory_writer import template

    if output.suffix.lower() != XLSX:
        err.print("[bold red]Error:[/] the template's file name must end in .xlsx.")
        raise typer.Exit(2)
    _written(lambda: output.write_bytes(template()), output)
    out.print(
        f"Wrote {escape(str(output))}: fill in each sheet (the first explains how), then run "
        "'oscp directory import' with --dry-run.",
        highlight=False,
        soft_wrap=True,
    )
