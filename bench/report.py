"""The summary report of a 1,000-case MACE, as HTML and as PDF, against a blank document of the
same size rendered the same way in the same run.

Run: ``.venv/bin/python -m bench.report [--cases N] [--rounds R] [--pdf-rounds R]``

Data: the 1,000-case MACE of ``bench.aggregation`` (each case audited by two to five
agencies, every return submitted, a third of the ratings moderated to another grade), on a
temporary SQLite file, with the chair's four sections written through the service.

Timed, rounds alternating and the best of each kept:

- HTML, report: ``summary_source`` (the aggregates and the figures, read in the database)
  and ``render`` (the Jinja2 templates, charts and the sandboxed narrative).
- HTML, blank: the same-size blank document rendered by Jinja2 with no data work. The blank
  is the report's own HTML with every character of text turned into "x" (styles and markup
  kept), so it has the same markup volume and page count; it is loaded as a template once,
  before timing.
- PDF, report: all of the HTML report's work, then WeasyPrint.
- PDF, blank: WeasyPrint on the blank document.

ratio = blank time / report time, as in the other benchmarks: 1.0 means the report costs no
more than rendering that much markup, and the HTML ratio is small because a blank template
does almost nothing. The page counts of both PDFs are printed, to show the blank is the same
size. Rendering does not depend on the store, so this runs on SQLite only.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from jinja2 import Environment, Template

from bench.aggregation import analyse, build_mace, new_deps, row_counts
from notifications.reports import refuse_every_url, render, to_pdf
from oscp_flow.rehearsal.demo import email, load_demo_partnership
from states.services import reports
from states.services.deps import Deps

NARRATIVE = {
    "working_well": (
        "Information was shared quickly at the front door, and strategy meetings were held "
        "on time in most cases.\n\n- Police and children's social care agreed plans together\n"
        "- Schools were invited to every strategy meeting"
    ),
    "emerging_concerns": (
        "Other children in the household were not always considered, and the child's lived "
        "experience was often recorded as a list of incidents rather than in their words."
    ),
    "recommendations": (
        "- Every agency records the child's lived experience in the child's own words\n"
        "- Plans name the other children in the household and what is done for each\n"
        "- The learning hub reviews drift in child protection plans every quarter"
    ),
    "reflection": (
        "Auditing a thousand cases with five agencies stretched moderation; the panel asks "
        "for a smaller sample with more depth next time."
    ),
}
# Text between tags, and the contents of <style>, which is left as it is.
_STYLE = re.compile(r"(<style>.*?</style>)", re.DOTALL)
_TEXT = re.compile(r">([^<]+)<")
_GLYPH = re.compile(r"&#?\w+;|\S")


def blank_of(html: str) -> str:
    """The document with every visible character turned into "x": same markup, same size."""
    parts = _STYLE.split(html)
    return "".join(
        part if part.startswith("<style>") else _TEXT.sub(_blank_text, part) for part in parts
    )


def _blank_text(match: re.Match[str]) -> str:
    return ">" + _GLYPH.sub("x", match[1]) + "<"


def page_count(html: str) -> int:
    from weasyprint import HTML

    return len(HTML(string=html, base_url=None, url_fetcher=refuse_every_url).render().pages)


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def report_html(deps: Deps, reference: str) -> str:
    return render_source(deps, reports.summary_source(deps, audit=reference))


def render_source(deps: Deps, source: reports.SummarySource) -> str:
    return render(
        "summary",
        source.figures,
        source.narrative,
        version=source.version,
        dated=deps.clock.now(),
        draft=True,
    )


def best(
    rounds: int, report: Callable[[], object], blank: Callable[[], object]
) -> tuple[float, float]:
    """Alternate the two, after one round each to warm caches; the best of each counts."""
    report()
    blank()
    timed = [(seconds(report), seconds(blank)) for _ in range(rounds)]
    return min(r for r, _ in timed), min(b for _, b in timed)


def build(deps: Deps, cases: int) -> str:
    started = time.perf_counter()
    load_demo_partnership(deps)
    built = build_mace(deps, cases)
    for section, text in NARRATIVE.items():
        reports.save_narrative(
            deps, audit=built.reference, actor=email("chair"), section=section, text=text
        )
    analyse(deps)  # fresh statistics, as after any bulk load
    print(f"  built in {time.perf_counter() - started:.1f} s")
    print(f"  {built.reference} (mace, {cases:,} cases): {row_counts(deps, built.audit_id)}")
    return built.reference


@contextmanager
def built(cases: int) -> Iterator[tuple[Deps, str]]:
    """The engine on a temporary SQLite file holding the MACE of ``cases`` cases, and its
    reference; the file is gone afterwards."""
    with tempfile.TemporaryDirectory(prefix="oscp-bench-") as folder:
        deps = new_deps(f"sqlite:///{Path(folder) / 'report.db'}")
        try:
            yield deps, build(deps, cases)
        finally:
            deps.uow.engine.dispose()


def run(args: argparse.Namespace) -> None:
    print(
        f"Summary report (SQLite, temporary file); HTML best of {args.rounds}, "
        f"PDF best of {args.pdf_rounds}"
    )
    with built(args.cases) as (deps, reference):
        html = report_html(deps, reference)
        # No variables at all, so nothing to escape: the template is the blank document.
        blank: Template = Environment(autoescape=False).from_string(
            "{% raw %}" + blank_of(html) + "{% endraw %}"
        )
        blank_html = blank.render()
        print(f"  HTML: {len(html):,} characters, blank {len(blank_html):,}")
        engine, plain = best(args.rounds, lambda: report_html(deps, reference), blank.render)
        print(f"  HTML: report {engine * 1e3:.1f} ms, blank template {plain * 1e3:.3f} ms")
        source = reports.summary_source(deps, audit=reference)
        gathered, rendered = best(
            args.rounds,
            lambda: reports.summary_source(deps, audit=reference),
            lambda: render_source(deps, source),
        )
        print(
            f"  HTML, of which: figures from the database {gathered * 1e3:.1f} ms, "
            f"templates and charts {rendered * 1e3:.1f} ms"
        )
        print("output: html")
        print(f"ratio: {plain / engine:.3g}")
        pages = (page_count(html), page_count(blank_html))
        engine, plain = best(
            args.pdf_rounds,
            lambda: to_pdf(report_html(deps, reference)),
            lambda: to_pdf(blank.render()),
        )
        print(f"  PDF: {pages[0]} pages, blank {pages[1]} pages")
        print(f"  PDF: report {engine * 1e3:.0f} ms, blank of the same size {plain * 1e3:.0f} ms")
        print("output: pdf")
        print(f"ratio: {plain / engine:.2f}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=1000, help="MACE cases sampled")
    parser.add_argument("--rounds", type=int, default=7, help="HTML rounds; the best counts")
    parser.add_argument("--pdf-rounds", type=int, default=3, help="PDF rounds; the best counts")
    return parser.parse_args()


def main() -> None:
    run(arguments())


if __name__ == "__main__":
    main()
