"""``oscp audit sample|moderate|concern|assure``: the chair's and coordinator's work on an audit.

Cases arrive as a CSV of pseudonymous references (never names) with the agencies involved and
intervention dates, as an agency's case system can export them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from oscp_flow.cli.common import (
    AsPerson,
    acting_person,
    audit_app,
    err,
    out,
    plain_errors,
    run_action,
)
from states.rules.case_list import COLUMNS as CSV_COLUMNS

if TYPE_CHECKING:
    from states.rules.case_list import CaseCandidate
    from states.services.concerns import ConcernRaised
    from states.services.deps import Deps
    from states.services.sampling import Draw, Method

# A list of thousands of cases is summed up rather than echoed whole.
SHOWN = 50


def read_candidates(path: Path) -> list[CaseCandidate]:
    """Rows of the cases CSV; a file with any bad row is refused whole, every problem listed
    with its line, before the database is opened. Says so when it was not read as UTF-8."""
    from oscp_flow.case_file import UTF8, read_case_file

    found = read_case_file(path)
    if found.encoding != UTF8:
        out.print(
            f"Read {path.name} as {found.encoding}: it is not UTF-8 (from line "
            f"{found.first_non_utf8_line}). Save it as CSV UTF-8 next time to be sure every "
            "character is read as written.",
            highlight=False,
            soft_wrap=True,
        )
    return found.cases


class _DrawByDefault(TyperGroup):
    """``oscp audit sample AUDIT cases.csv`` draws, as it always has; ``oscp audit sample
    remove AUDIT CASE`` takes a case out. Anything not naming a subcommand is a draw."""

    # ``ctx`` is Typer's own click context (its vendored click has no public name).
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["draw", *args]
        return super().parse_args(ctx, args)


sample_app = typer.Typer(
    cls=_DrawByDefault,
    no_args_is_help=True,
    help="Draw AUDIT's case sample from a CSV (or 'sample remove AUDIT CASE').",
)
audit_app.add_typer(sample_app, name="sample")


@sample_app.command("draw")
def audit_sample(
    audit: str,
    cases: Annotated[
        Path,
        typer.Argument(
            help="CSV: " + ", ".join(CSV_COLUMNS),
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    *,
    method: Annotated[str, typer.Option(help="list, random or random_per_agency")] = "list",
    size: Annotated[
        int | None, typer.Option(help="How many (per agency, for that method).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Draw the same sample again.")] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the whole sample (before returns open).")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why the sample is replaced.")] = None,
    as_person: AsPerson = None,
) -> None:
    """Draw AUDIT's case sample from a CSV of pseudonymous cases; the draw is recorded. A
    random draw takes only cases with an intervention in the audit type's window."""
    from states.services import sampling

    actor = acting_person(as_person)
    methods: dict[str, Method] = {
        "list": "list",
        "random": "random",
        "random_per_agency": "random_per_agency",
    }
    if method not in methods:
        err.print("[bold red]Error:[/] --method is list, random or random_per_agency.")
        raise typer.Exit(2)

    with plain_errors():
        candidates = read_candidates(cases)

    def action(deps: Deps) -> None:
        draw = sampling.select_sample(
            deps,
            audit=audit,
            actor=actor,
            candidates=candidates,
            method=methods[method],
            size=size,
            seed=seed,
            replace=replace,
            reason=reason,
        )
        _show_draw(draw)

    run_action(action)


def _show_draw(draw: Draw) -> None:
    if draw.replaced:
        out.print(f"Took out the {draw.replaced} case(s) sampled before.")
    if draw.ineligible:
        out.print(
            f"Passed over {draw.ineligible} case(s) with no intervention in the audit's window.",
            highlight=False,
        )
    seeded = "" if draw.seed is None else f" with seed {draw.seed}"
    more = len(draw.chosen) - SHOWN
    shown = ", ".join(draw.chosen[:SHOWN]) + (f" and {more} more" if more > 0 else "")
    out.print(f"Sampled {len(draw.chosen)} case(s){seeded}: {shown}.")


@sample_app.command("remove")
def audit_sample_remove(
    audit: str,
    case: str,
    *,
    reason: Annotated[str, typer.Option(help="Why the case leaves the sample.")],
    as_person: AsPerson = None,
) -> None:
    """Take CASE out of AUDIT's sample before returns open (the coordinator), with a reason."""
    from states.services import sampling

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        sampling.remove_case(deps, audit=audit, actor=actor, case=case, reason=reason)
        out.print(f"Took case {escape(case)} out of {audit}'s sample.", highlight=False)

    run_action(action)


@audit_app.command("moderate")
def audit_moderate(
    audit: str,
    finding: int,
    rating: Annotated[str | None, typer.Option(help="A different grade, if changed.")] = None,
    rationale: Annotated[str | None, typer.Option(help="Why the rating changed.")] = None,
    as_person: AsPerson = None,
) -> None:
    """Confirm FINDING, or change its rating with a rationale."""
    from states.services import findings

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        findings.moderate(
            deps, audit=audit, actor=actor, finding_id=finding, rating=rating, rationale=rationale
        )
        out.print(f"Finding {finding} moderated.")

    run_action(action)


@audit_app.command("concern")
def audit_concern(
    audit: str,
    agency: Annotated[str, typer.Option(help="Code of the agency asked for assurance.")],
    concern: Annotated[str, typer.Option(help="What the risk is, without naming the child.")],
    confirm_no_recipient: Annotated[
        str | None,
        typer.Option(
            help="A coordinator only: raise it although nobody at the agency can be told "
            "(no strategic lead or agency lead), saying why; the history keeps the reason."
        ),
    ] = None,
    as_person: AsPerson = None,
) -> None:
    """Raise an immediate-risk concern with an agency: its strategic lead (or, without one,
    its agency leads and the coordinators) and the chair are told at once, and who is told
    is said here. The concern's words are in no e-mail: they read it behind their link."""
    from states.services import concerns

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        raised = concerns.raise_concern(
            deps,
            audit=audit,
            actor=actor,
            agency=agency,
            concern=concern,
            confirm_no_recipient=confirm_no_recipient,
        )
        _say_raised(raised, agency)

    run_action(action)


def _say_raised(raised: ConcernRaised, agency: str) -> None:
    from oscp_flow.output import local

    due = local(raised.assurance_due_at)
    out.print(
        f"Concern {raised.id} raised with {escape(raised.agency)} ({escape(agency)}); "
        f"assurance is due by {due}.",
        highlight=False,
        soft_wrap=True,
    )
    if not raised.agency_told:
        out.print(
            f"Nobody at {escape(raised.agency)} can be told: it has no active strategic lead "
            "or agency lead.",
            highlight=False,
            soft_wrap=True,
        )
    for person in raised.told:
        how = "with a link to read the concern and respond" if person.link else "by e-mail"
        out.print(f"  Told: {escape(person.name)}, {person.as_what}, {how}.", highlight=False)


@audit_app.command("assure")
def audit_assure(
    audit: str,
    concern: int,
    assurance: Annotated[str, typer.Option(help="The assurance the agency gave.")],
    as_person: AsPerson = None,
) -> None:
    """Record an agency's assurance on CONCERN."""
    from states.services import work

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        work.record_assurance(
            deps, audit=audit, actor=actor, escalation_id=concern, assurance=assurance
        )
        out.print(f"Assurance recorded on concern {concern}.")

    run_action(action)
