"""The CLI's tables on a narrow terminal: what a person types next is never cut short."""

from __future__ import annotations

from datetime import date

from rich.console import Console

from oscp_flow.output import show_audits
from states.services.queries import AuditSummary


def test_audit_list_keeps_references_whole_at_80_columns() -> None:
    console = Console(width=80, record=True)
    audits = [
        AuditSummary(
            f"AUD-{n}PPWJTG7",
            "single_agency_exception",
            "Domestic abuse and coercive control in families with young children",
            "impact_monitoring",
            12,
            date(2026, 3, 2),
        )
        for n in range(2)
    ]
    show_audits(console, audits)
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    for audit in audits:
        assert f" {audit.reference} " in text
    assert "…" not in text  # nothing cut off: long types and states fold onto a second line
    assert text.rstrip().endswith("2 audits.")
