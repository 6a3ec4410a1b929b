"""Rich tables for the CLI. Times are shown in London time, the partnership's own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.table import Table

from notifications.wording import plural
from oscp_flow.rehearsal.preview import PreviewLine
from states.clock import LONDON
from states.definitions.model import AuditTypeDefinition
from states.definitions.tool import ToolDefinition
from states.services.queries import AuditStatus, AuditSummary, EventView
from states.services.returns_status import AgencyReturns, ReturnsStatus


def local(instant: datetime | None) -> str:
    return "" if instant is None else instant.astimezone(LONDON).strftime("%a %d %b %Y %H:%M")


def show_definitions(console: Console, definitions: Sequence[AuditTypeDefinition]) -> None:
    table = Table(title="Valid definitions")
    for column in ("type", "title", "states", "transitions", "tool", "version"):
        table.add_column(column)
    for d in sorted(definitions, key=lambda d: d.audit_type):
        table.add_row(
            d.audit_type,
            d.title,
            str(len(d.states)),
            str(len(d.transitions)),
            d.tool,
            d.content_hash()[:12],
        )
    console.print(table)
    console.print(f"{len(definitions)} audit type definition(s) valid.")


def show_tools(console: Console, tools: Sequence[ToolDefinition]) -> None:
    table = Table(title="Valid audit tools")
    for column in ("tool", "title", "completed per", "sections", "questions", "version"):
        table.add_column(column)
    for tool in sorted(tools, key=lambda t: t.tool):
        table.add_row(
            tool.tool,
            tool.title,
            tool.completed_per,
            str(len(tool.sections)),
            str(sum(1 for _ in tool.questions())),
            tool.content_hash()[:12],
        )
    console.print(table)
    console.print(f"{len(tools)} audit tool(s) valid.")


def show_status(console: Console, status: AuditStatus) -> None:
    console.print(f"[bold]{status.reference}[/] {status.title} — {status.theme}")
    console.print(
        f"State: [bold]{status.state_title}[/] ({status.state}), version {status.version}, "
        f"lead {status.lead}, definition {status.definition_hash[:12]}"
    )
    steps = Table(title="Next steps")
    for column in ("trigger", "goes to", "status"):
        steps.add_column(column)
    for step in status.next_steps:
        blocked = "; ".join(f"{f.gate}: {f.reason}" for f in step.blocked_by)
        steps.add_row(step.trigger, step.dest or "(stays)", blocked or "[green]ready[/]")
    console.print(steps)
    if status.escalations:
        concerns = Table(title="Immediate-risk concerns")
        for column in ("id", "agency", "raised", "assurance due", "assured"):
            concerns.add_column(column)
        for e in status.escalations:
            concerns.add_row(
                str(e.id),
                e.agency,
                local(e.raised_at),
                local(e.assurance_due_at),
                local(e.assured_at) or "[bold red]awaiting assurance[/]",
            )
        console.print(concerns)
    if status.deadlines:
        deadlines = Table(title="Deadlines")
        for column in ("deadline", "state", "due", "met"):
            deadlines.add_column(column)
        for d in status.deadlines:
            deadlines.add_row(d.name, d.state, local(d.due_at), local(d.met_at) or "open")
        console.print(deadlines)


def show_returns(console: Console, returns: ReturnsStatus) -> None:
    """Each agency's returns in the round, and, for those who may see them, the cases each
    still owes (pseudonymous references)."""
    if not returns.agencies:
        return
    if returns.round is None:
        when = "not open yet"
    else:
        when = "open" if returns.open else "closed, last round"
    table = Table(title=f"Returns ({when})")
    for column in ("agency", "status", "submitted"):
        table.add_column(column)
    owed_shown = returns.per_case and returns.shows_cases
    if owed_shown:
        table.add_column("cases still owed")
    for a in returns.agencies:
        cells = [a.name, _progress(a), _submitted(returns, a)]
        table.add_row(*cells, *([", ".join(a.cases_owed) or "none"] if owed_shown else []))
    console.print(table)


def _progress(agency: AgencyReturns) -> str:
    said = agency.status.value.replace("_", " ")
    return said if agency.has_lead else f"{said} (no active agency lead)"


def _submitted(returns: ReturnsStatus, agency: AgencyReturns) -> str:
    if returns.per_case and not returns.sampled:
        return "no cases sampled yet"
    if not agency.owed:
        return "none owed"
    return f"{agency.submitted} of {agency.owed}"


def show_history(console: Console, reference: str, events: Sequence[EventView]) -> None:
    table = Table(title=f"History of {reference}")
    for column in ("version", "when", "who", "trigger", "from", "to", "reason"):
        table.add_column(column)
    for e in events:
        table.add_row(
            str(e.version),
            local(e.at),
            e.actor,
            e.trigger,
            e.from_state or "—",
            e.to_state,
            e.reason or "",
        )
    console.print(table)


def show_audits(console: Console, audits: Sequence[AuditSummary]) -> None:
    table = Table(title="Audits")
    # References, types and states are typed into other commands, so a narrow terminal may
    # fold them but never cuts them short; the reference is kept whole on one line, and the
    # theme (read, not typed) takes what width is left.
    widest = max((len(a.reference) for a in audits), default=len("reference"))
    table.add_column("reference", no_wrap=True, min_width=widest)
    for column in ("type", "theme", "state"):
        table.add_column(column, overflow="fold")
    table.add_column("version", justify="right")
    table.add_column("started", no_wrap=True)
    for a in audits:
        table.add_row(
            a.reference, a.audit_type, a.theme, a.state, str(a.version), str(a.started_on)
        )
    console.print(table)
    console.print(f"{len(audits)} {plural(len(audits), 'audit')}.")


def show_preview(console: Console, lines: Sequence[PreviewLine]) -> None:
    table = Table(title="Preview: nothing here has been sent")
    for column in ("when (London)", "what", "to", "detail"):
        table.add_column(column)
    for line in lines:
        table.add_row(local(line.at), line.what, line.to, line.detail)
    console.print(table)
    sent = sum(1 for line in lines if line.what != "deadline")
    console.print(f"{sent} e-mail(s) and {len(lines) - sent} deadline(s) in the preview.")
