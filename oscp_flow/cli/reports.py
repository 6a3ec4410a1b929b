"""``oscp report draft|show|render|freeze|products|disseminate|list``: an audit's summary report.

The chair (or coordinator) writes the four sections of the framework's "Lessons and actions",
renders the report to read it (submitting it for sign-off freezes it), makes the 7-minute
briefing, learning on a page and Section 175 letters from the signed-off report, and records
where each was shared. Rendering (WeasyPrint) is imported only by the commands that need it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from notifications.wording import counted
from oscp_flow.cli.common import AsPerson, acting_person, app, err, out, run_action

if TYPE_CHECKING:
    from states.services.deps import Deps
    from states.services.sign_off_views import SignOffView

report_app = typer.Typer(
    no_args_is_help=True,
    help="Summary reports: write, render, freeze, make products, disseminate.",
)
app.add_typer(report_app, name="report")

SECTION_HELP = "working_well, emerging_concerns, recommendations or reflection"


@report_app.command("draft")
def report_draft(
    audit: str,
    section: Annotated[str, typer.Option(help=SECTION_HELP)],
    text: Annotated[str | None, typer.Option(help="The section's text.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Read the text from a UTF-8 file ('-': stdin).")
    ] = None,
    as_person: AsPerson = None,
) -> None:
    """Write one section of AUDIT's summary report (replacing what it said)."""
    from states.services import reports

    actor = acting_person(as_person)
    words = _text(text, file)

    def action(deps: Deps) -> None:
        version = reports.save_narrative(
            deps, audit=audit, actor=actor, section=section, text=words
        )
        out.print(
            f"Saved '{section}' in the draft of {audit}'s summary report (version {version})."
        )

    run_action(action)


def _text(text: str | None, file: Path | None) -> str:
    if (text is None) == (file is None):
        err.print("[bold red]Error:[/] give the text with --text or --file, not both.")
        raise typer.Exit(2)
    if file is None:
        assert text is not None
        return text
    if str(file) == "-":
        return sys.stdin.read()
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"[bold red]Error:[/] cannot read {file} as UTF-8 text ({type(exc).__name__}).")
        raise typer.Exit(2) from None


@report_app.command("show")
def report_show(audit: str, as_person: AsPerson = None) -> None:
    """AUDIT's summary report as it is being written, section by section, with the sign-off
    members' refusals and their comments beside it, for the chair answering them."""
    from states.rules.report_content import SECTIONS
    from states.services import reports, sign_off_views

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        source = reports.summary_source(deps, audit=audit)
        state = "being written" if source.editable else "frozen for sign-off or signed off"
        out.print(f"{audit}'s summary report, version {source.version} ({state}).")
        for section in SECTIONS:
            out.rule(section.replace("_", " ").capitalize())
            out.print(escape(source.narrative.get(section, "").strip()) or "[dim](no text yet)[/]")
        _refusals(sign_off_views.sign_off_of(deps, audit=audit, viewer=actor))

    run_action(action)


def _refusals(view: SignOffView) -> None:
    """The last round's refusals: what the chair's next version answers."""
    refused = [d for d in view.decisions if d.decision == "refuse"]
    if not refused:
        return
    last = max(d.round for d in refused)
    out.rule(f"Refused in round {last}: what the next version answers")
    for d in (d for d in refused if d.round == last):
        said = escape(d.comment or "") if view.comments_shown else "(comment not shown to you)"
        out.print(f"[bold]{escape(d.person)}[/]: {said}", soft_wrap=True)


@report_app.command("render")
def report_render(
    audit: str,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the PDF here.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML here.")] = None,
    docx: Annotated[Path | None, typer.Option("--docx", help="Write a Word version here.")] = None,
) -> None:
    """Render AUDIT's summary report: the frozen one, or the draft as it stands (marked so).
    With none of --pdf, --html and --docx, the HTML goes to standard output."""
    from notifications.publishing import current_summary, current_summary_docx

    def action(deps: Deps) -> None:
        if docx is not None:
            word = current_summary_docx(deps, audit=audit)
            docx.write_bytes(word.docx)
            _wrote(docx, word.frozen, word.version)
        if docx is not None and html is None and pdf is None:
            return
        rendered = current_summary(deps, audit=audit, pdf=pdf is not None)
        if html is None and pdf is None:
            typer.echo(rendered.html)
            return
        if html is not None:
            html.write_text(rendered.html, encoding="utf-8")
            _wrote(html, rendered.frozen, rendered.version)
        if pdf is not None and rendered.pdf is not None:
            pdf.write_bytes(rendered.pdf)
            _wrote(pdf, rendered.frozen, rendered.version)

    run_action(action)


def _wrote(path: Path, frozen: bool, version: int) -> None:
    out.print(f"Wrote {path} ({'frozen' if frozen else 'draft'}, version {version}).")


@report_app.command("freeze")
def report_freeze(audit: str, as_person: AsPerson = None) -> None:
    """Freeze AUDIT's summary report as it stands (its sections, figures and hash) where
    submitting it for sign-off did not: submitting freezes it, so this says which version
    is frozen, and freezes one only for an audit submitted before that."""
    from states.services.freezing import freeze_summary

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        frozen = freeze_summary(deps, audit=audit, actor=actor)
        report = frozen.report
        said = (
            f"Froze version {report.version} of {audit}'s summary report"
            if frozen.now
            else f"Version {report.version} of {audit}'s summary report is already frozen "
            "(submitting it for sign-off froze it)"
        )
        out.print(f"{said}; sha256 {report.content_hash}.", highlight=False, soft_wrap=True)

    run_action(action)


@report_app.command("products")
def report_products(
    audit: str,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the HTML, PDF and Word files.")
    ],
    as_person: AsPerson = None,
) -> None:
    """Make the 7-minute briefing, learning on a page and (Section 175) letters and summary
    to all settings from AUDIT's signed-off report, and write them to --out (HTML and PDF;
    the briefing and learning on a page also as Word documents)."""
    from notifications.publishing import make_products
    from oscp_flow.cli.report_files import write_product

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        made = make_products(deps, audit=audit, actor=actor)
        out_dir.mkdir(parents=True, exist_ok=True)
        for report in made:
            for path in write_product(deps, out_dir, audit, report):
                out.print(f"Wrote {path}")

    run_action(action)


@report_app.command("disseminate")
def report_disseminate(
    audit: str,
    *,
    kind: Annotated[str, typer.Option(help="summary, briefing, learning_on_a_page, ...")],
    audience: Annotated[str, typer.Option(help="Who received it, e.g. 'all schools'.")],
    channel: Annotated[str, typer.Option(help="learning_hub, website or email")],
    agency: Annotated[str | None, typer.Option(help="The setting, for a feedback letter.")] = None,
    as_person: AsPerson = None,
) -> None:
    """Record that AUDIT's newest frozen report of --kind was shared."""
    from states.services.dissemination import record_dissemination

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        record_dissemination(
            deps,
            audit=audit,
            actor=actor,
            kind=kind,
            audience=audience,
            channel=channel,
            agency=agency,
        )
        out.print(f"Recorded: {kind} of {audit} shared with {audience} by {channel}.")

    run_action(action)


@report_app.command("send-letters")
def report_send_letters(audit: str, as_person: AsPerson = None) -> None:
    """E-mail each sampled setting of a Section 175 AUDIT (on Section 11, each agency given
    feedback) a link to its own feedback letter, and on Section 175 every setting a link to
    the summary to all settings (made by `oscp report products`); what was sent before is not
    sent again."""
    from states.services.letters import send_feedback_letters

    actor = acting_person(as_person)

    def action(deps: Deps) -> None:
        sent = send_feedback_letters(deps, audit=audit, actor=actor)
        for setting in sent.unreached:
            err.print(
                f"[bold yellow]Warning:[/] {escape(setting)} has no audit lead in the "
                "directory, so nothing was sent to it; add one and send again.",
                highlight=False,
                soft_wrap=True,
            )
        if not sent.letters and not sent.summary_to:
            if not sent.unreached:
                out.print("Everything has been sent already; nothing new was queued.")
            return
        # Section 11 has letters to agencies and no summary to all settings.
        to_all = (
            f", and the summary to all for {counted(sent.summary_to, 'setting')}"
            if sent.summary_to
            else ""
        )
        out.print(
            f"{counted(sent.letters, 'letter')} queued for their settings{to_all}; the "
            "worker's relay sends them.",
            highlight=False,
            soft_wrap=True,
        )

    run_action(action)


@report_app.command("list")
def report_list(audit: str) -> None:
    """AUDIT's reports (drafts and frozen, with hashes) and where each was shared."""
    from states.persistence.vocabulary import ReportStatus
    from states.services.dissemination import list_disseminations
    from states.services.report_store import list_reports

    def action(deps: Deps) -> None:
        table = Table(title=f"Reports of {audit}")
        for column in ("kind", "for", "version", "status", "sha256", "intact"):
            table.add_column(column)
        for r in list_reports(deps, audit=audit):
            intact = "" if r.status != ReportStatus.FROZEN else ("yes" if r.intact else "NO")
            digest = (r.content_hash or "")[:16]
            table.add_row(r.kind, r.agency or "", str(r.version), r.status, digest, intact)
        out.print(table)
        shared = Table(title="Disseminated")
        for column in ("kind", "for", "version", "audience", "channel", "when", "by"):
            shared.add_column(column)
        for d in list_disseminations(deps, audit=audit):
            when = f"{d.at:%Y-%m-%d %H:%M} UTC"
            shared.add_row(
                d.kind, d.agency or "", str(d.version), d.audience, d.channel, when, d.by
            )
        out.print(shared)

    run_action(action)
