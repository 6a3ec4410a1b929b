"""``oscp audit findings AUDIT``: what the submitted returns say, as counts only.

Everything shown comes from ``states.services.aggregation``: ids, grade values and counts.
No answer's text is read, so none can reach the screen, a terminal log or a pasted report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from notifications.wording import counted
from oscp_flow.cli.common import audit_app, out, run_action

if TYPE_CHECKING:
    from states.services.aggregation import (
        AuditAggregates,
        Distribution,
        Eedi,
        FindingCounts,
        MeasureImpact,
        PhaseScore,
    )
    from states.services.deps import Deps


@audit_app.command("findings")
def audit_findings(audit: str) -> None:
    """Ratings (moderated where moderated), strengths, gaps and concerns of AUDIT: counts only."""
    from states.services.aggregation import audit_aggregates
    from states.services.board import definition_of

    def action(deps: Deps) -> None:
        # The title of the type the audit runs under (its pinned definition), as people name it.
        title = definition_of(deps, audit=audit).title
        show_aggregates(out, audit_aggregates(deps, audit=audit), type_title=title)

    run_action(action)


def show_aggregates(console: Console, found: AuditAggregates, *, type_title: str) -> None:
    submitted, left_out = found.returns_submitted, found.returns_not_submitted
    console.print(
        f"[bold]{found.audit}[/] ({escape(type_title)}): {counted(submitted, 'submitted return')} "
        f"counted, {left_out:,} not submitted left out.",
        highlight=False,
        soft_wrap=True,
    )
    for title, keyed, rows in (
        ("Ratings by section", "section", found.by_section),
        ("Ratings by agency", "agency", found.by_agency),
    ):
        for table in distribution_tables(title, keyed, rows):
            console.print(table)
    console.print(findings_table("Strengths, gaps and concerns by section", "section", found))
    console.print(findings_table("Strengths, gaps and concerns by agency", "agency", found))
    console.print(moderation_line(found.findings), highlight=False)
    console.print(eedi_line(found.eedi), highlight=False, soft_wrap=True)
    if found.training:
        console.print(training_table(found.training))
    for cohort in found.training_by_cohort:
        title = f"{cohort.course}, cohort {cohort.cohort} ({cohort.attendees} attendee(s))"
        console.print(training_table(cohort.measures, title=title))


def distribution_tables(title: str, keyed: str, rows: Sequence[Distribution]) -> list[Table]:
    """One table per scale shape, grades best first, so columns never mix scales."""
    shapes = list(dict.fromkeys(d.values for d in rows))
    tables = []
    for shape in shapes:
        table = Table(title=title)
        for column in (keyed, *shape, "total"):
            table.add_column(column, justify="left" if column == keyed else "right")
        for d in rows:
            if d.values == shape:
                table.add_row(d.key, *map(str, d.counts), str(d.total))
        tables.append(table)
    return tables


def findings_table(title: str, keyed: str, found: AuditAggregates) -> Table:
    rows = found.findings_by_section if keyed == "section" else found.findings_by_agency
    table = Table(title=title)
    for column in (keyed, "strengths", "gaps", "concerns", "ratings", "moderated"):
        table.add_column(column, justify="left" if column == keyed else "right")
    for counts in (*rows, found.findings):
        table.add_row(*_finding_cells(counts))
    return table


def _finding_cells(counts: FindingCounts) -> tuple[str, ...]:
    # Findings with no key are the ones the panel recorded itself, not drawn from a return.
    key = "(panel)" if counts.key is None else counts.key
    return (
        key,
        str(counts.strengths),
        str(counts.gaps),
        str(counts.concerns),
        str(counts.ratings),
        f"{counts.moderated} of {counts.total}",
    )


def moderation_line(total: FindingCounts) -> str:
    if not total.total:
        return "Moderation: no findings yet."
    left = total.total - total.moderated
    share = round(100 * total.moderated / total.total)
    return (
        f"Moderation: {total.moderated} of {total.total} findings moderated ({share}%), "
        f"{left} to go."
    )


def _counts(d: Distribution) -> str:
    return ", ".join(f"{value} {n}" for value, n in zip(d.values, d.counts, strict=True))


def eedi_line(eedi: Eedi) -> str:
    if not eedi.questions:
        return "EEDI: this audit's tool tags no question or section eedi."
    parts = [f"ratings {_counts(d)}" for d in eedi.ratings]
    parts += [f"{d.key} {_counts(d)}" for d in eedi.answers]
    f = eedi.findings
    parts.append(
        f"findings {f.strengths} strengths, {f.gaps} gaps, {f.concerns} concerns, "
        f"{f.moderated} of {f.total} moderated"
    )
    return "EEDI: " + "; ".join(parts) + "."


def _score(phase: PhaseScore) -> str:
    return "—" if phase.mean is None else f"{phase.mean:.2f} ({phase.responses})"


def _delta(delta: float | None) -> str:
    return "—" if delta is None else f"{delta:+.2f}"


def training_table(measures: Sequence[MeasureImpact], *, title: str = "all attendees") -> Table:
    table = Table(
        title=f"Training impact, {title}: mean score (responses), best grade scores highest"
    )
    for column in ("measure", "before", "after", "follow-up", "after-before", "follow-up-before"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for m in measures:
        table.add_row(
            m.measure,
            _score(m.before),
            _score(m.after),
            _score(m.follow_up),
            _delta(m.after_delta),
            _delta(m.follow_up_delta),
        )
    return table
