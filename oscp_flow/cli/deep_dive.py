"""``oscp audit deep-dive select`` and ``oscp audit feedback``: Section 175's deep dive, and
each agency's feedback.

The coordinator or chair takes the deep-dive sample of submitted self-assessments, by the rule
the audit type declares or by naming the settings, while the audit is at its deep dive; then
records each sampled setting's individual feedback from a text file, while the audit is giving
feedback (on Section 11, which takes no deep dive, each agency that returned). The rules
(which stage, who may, which settings or agencies) are the engine's; this only reads the file
and prints what was done.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from notifications.wording import counted
from oscp_flow.cli.common import AsPerson, acting_person, audit_app, err, out, run_action

if TYPE_CHECKING:
    from states.services.deps import Deps

deep_dive_app = typer.Typer(
    no_args_is_help=True, help="Section 175: the deep-dive sample of self-assessments."
)
audit_app.add_typer(deep_dive_app, name="deep-dive")


@deep_dive_app.command("select")
def deep_dive_select(
    audit: str,
    *,
    by_rule: Annotated[
        bool, typer.Option("--by-rule", help="Take the sample by the rule the type declares.")
    ] = False,
    settings: Annotated[
        str | None,
        typer.Option(help="Choose by hand: setting codes, comma-separated (e.g. csc,police)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="With --by-rule: draw the same sample again.")
    ] = None,
    reason: Annotated[
        str | None, typer.Option(help="Why an earlier deep-dive sample is being replaced.")
    ] = None,
    as_person: AsPerson = None,
) -> None:
    """Take AUDIT's deep-dive sample of submitted self-assessments, by the declared rule or
    by hand; the draw is recorded, and taking it again replaces it (with --reason)."""
    from states.services import deep_dive

    actor = acting_person(as_person)
    if by_rule == (settings is not None):
        err.print("[bold red]Error:[/] give either --by-rule or --settings CODE,CODE.")
        raise typer.Exit(2)
    if seed is not None and not by_rule:
        err.print("[bold red]Error:[/] --seed goes with --by-rule (a choice by hand has none).")
        raise typer.Exit(2)

    def action(deps: Deps) -> None:
        if settings is None:
            draw = deep_dive.select_deep_dive(
                deps, audit=audit, actor=actor, seed=seed, reason=reason
            )
            how = f"by the rule, with seed {draw.seed}"
        else:
            draw = deep_dive.choose_deep_dive(
                deps, audit=audit, actor=actor, settings=settings.split(","), reason=reason
            )
            how = "by hand"
        out.print(
            f"Deep dive on {audit}: {counted(len(draw.chosen), 'setting')} {how}: "
            f"{', '.join(draw.chosen)}.",
            highlight=False,
            soft_wrap=True,
        )

    run_action(action)


@audit_app.command("feedback")
def audit_feedback(
    audit: str,
    setting: Annotated[
        str,
        typer.Argument(
            help="Code of a setting in the deep dive (Section 11: of an agency that returned)."
        ),
    ],
    *,
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            help="UTF-8 text of the feedback to the setting or agency, naming no child.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    as_person: AsPerson = None,
) -> None:
    """Record SETTING's individual feedback on AUDIT (a setting in its deep dive, or on
    Section 11 an agency that returned) from a text file; recording it again replaces the
    earlier feedback. It reaches them as their feedback letter once the report is signed off
    (``oscp report products``, then ``oscp report send-letters``)."""
    from states.services import deep_dive

    actor = acting_person(as_person)
    summary = _read_text(file)

    def action(deps: Deps) -> None:
        replaced = deep_dive.record_feedback(
            deps, audit=audit, actor=actor, agency=setting, summary=summary
        )
        done = "replaced" if replaced else "recorded"
        out.print(f"Feedback to {setting} on {audit} {done}.", highlight=False)

    run_action(action)


def _read_text(path: Path) -> str:
    """The file's text; anything but UTF-8 text is refused before the database is opened."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        err.print(
            f"[bold red]Error:[/] {path.name} is not UTF-8 text; save the feedback as plain "
            "text (UTF-8) and try again.",
            highlight=False,
        )
        raise typer.Exit(1)
    return text.strip()
