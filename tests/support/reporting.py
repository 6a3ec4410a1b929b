"""Shared by the report tests: a driven audit with child-like sentinels planted in its
returns' free text, and a chair's narrative full of template-injection payloads."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from notifications.publishing import make_products
from states.definitions.tool import ToolDefinition
from states.persistence import tables as t
from states.persistence.store import AuditStore
from states.services import reports
from states.services.deps import Deps
from tests.support.driver import Cast, Driver, complete_answers, drive
from tests.support.partnership import email

# Made-up, child-like details that must never leave the return they were typed into.
SENTINELS = ("Sentinelchild Zqxname", "born 03/04/2015 at 12 Qvarnby Road")
HEADINGS = (
    "What is working well",
    "Emerging concerns",
    "Recommendations about the most significant areas for change",
    "Reflection on the audit process",
)
NARRATIVE = {
    "working_well": (
        "Agencies shared information quickly at the front door.\n\n"
        "- Strategy meetings were held on time\n"
        "- The voice of the child was recorded {{ 7*7 }}"
    ),
    "emerging_concerns": (
        "Other children in the household were not always considered. "
        "{% for x in range(3) %}loop{% endfor %}"
    ),
    "recommendations": (
        "- Every agency records the child's lived experience\n"
        "- Escalate drift in plans <script>alert('x')</script>"
    ),
    "reflection": (
        "The tool worked; auditors asked for more guidance on EEDI ratings. {{ ''.__class__ }}"
    ),
}


def sentinel_answers(
    tool: ToolDefinition, variant: int = 0, phase: str | None = None
) -> dict[str, object]:
    """A complete return whose every free-text and evidence answer names a made-up child."""
    given = complete_answers(tool, variant, phase)
    for _, q in tool.questions():
        if q.id in given and q.type in ("free_text", "evidence_reference"):
            given[q.id] = f"Spoke with {SENTINELS[variant % 2]} about home"
    return given


# Agencies whose returns carry the sentinels.
PLANTED = Cast(answers=sentinel_answers)


def write_narrative(deps: Deps, reference: str, narrative: dict[str, str] = NARRATIVE) -> None:
    for section, text in narrative.items():
        reports.save_narrative(
            deps, audit=reference, actor=email("chair"), section=section, text=text
        )


def drafting(deps: Deps, audit_type: str, cast: Cast | None = None) -> Driver:
    """An audit at report drafting, its narrative written by the chair."""
    driver = drive(deps, audit_type, "report_drafting", theme="Domestic abuse", cast=cast)
    write_narrative(deps, driver.reference)
    return driver


def pdf_text(pdf: bytes, folder: Path) -> str:
    """The PDF's text as pdftotext reads it, whitespace folded (headings may wrap)."""
    path = folder / "text.pdf"
    path.write_bytes(pdf)
    found = subprocess.run(
        [_tool("pdftotext"), "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return " ".join(found.split())


# The reports' right margin (report.css: @page margin 16 mm), in PDF points, and a hair's
# tolerance for how pdftotext rounds a word's box.
RIGHT_MARGIN_PT = 16 / 25.4 * 72
_BOX = re.compile(r'<page width="([\d.]+)"|xMax="([\d.]+)"[^>]*>([^<]*)</word>')


def words_past_the_margin(pdf: bytes, folder: Path) -> list[str]:
    """Words the PDF sets beyond its pages' right margin, where a printer or viewer cuts
    them off (pdftotext's word boxes)."""
    path = folder / "bounds.pdf"
    path.write_bytes(pdf)
    boxes = subprocess.run(
        [_tool("pdftotext"), "-bbox", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    past, edge = [], 0.0
    for width, right, word in _BOX.findall(boxes):
        if width:
            edge = float(width) - RIGHT_MARGIN_PT + 0.5
        elif float(right) > edge:
            past.append(word)
    return past


def pdf_pages(pdf: bytes, folder: Path, name: str) -> list[Path]:
    """The PDF as PNG pages, made by pdftoppm."""
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        [_tool("pdftoppm"), "-r", "50", "-png", str(path), str(folder / name)],
        check=True,
        timeout=120,
    )
    return sorted(folder.glob(f"{name}-*.png"))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: run scripts/pdf-tools (Debian's poppler-utils)")
    return found


def s175_with_letters(deps: Deps) -> str:
    """A Section 175 audit at dissemination (its report frozen as it went for sign-off), its
    products (letters included) made."""
    driver = drafting(deps, "section_175")
    driver.advance("dissemination")
    make_products(deps, audit=driver.reference, actor=email("coordinator"))
    return driver.reference


def letters_of(deps: Deps, reference: str) -> dict[str, int]:
    """Letter id by the setting's agency code."""
    with deps.uow(readonly=True) as uow:
        audit_id = AuditStore(uow.connection).load_audit(reference).id
        rows = uow.connection.execute(
            select(t.agency.c.code, t.report.c.id)
            .join(t.agency, t.agency.c.id == t.report.c.agency_id)
            .where(t.report.c.audit_id == audit_id, t.report.c.kind == "feedback_letter")
        ).all()
    return {code: int(i) for code, i in rows}
