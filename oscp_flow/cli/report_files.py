"""Writing reports to files for ``oscp report render`` and ``oscp report products``: each
file named by the audit's reference, the kind of report, the setting's code (for a letter)
and the version, never by anything typed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from states.services.deps import Deps
    from states.services.report_store import StoredReport


def write_product(deps: Deps, folder: Path, audit: str, report: StoredReport) -> list[Path]:
    """A product's HTML and PDF, and for the briefing and learning on a page its Word version
    beside them; returns the files written."""
    from notifications.publishing import product_docx
    from notifications.word_products import KINDS

    # Agency codes become part of a file name: anything but letters, digits, - and _ goes.
    whom = "" if report.agency is None else "-" + re.sub(r"[^A-Za-z0-9_-]", "-", report.agency)
    stem = folder / f"{audit}-{report.kind.replace('_', '-')}{whom}-v{report.version}"
    written = []
    if report.html is not None:
        written.append(stem.with_suffix(".html"))
        written[-1].write_text(report.html, encoding="utf-8")
    if report.pdf is not None:
        written.append(stem.with_suffix(".pdf"))
        written[-1].write_bytes(report.pdf)
    if report.kind in KINDS:
        written.append(stem.with_suffix(".docx"))
        written[-1].write_bytes(product_docx(deps, report))
    return written
