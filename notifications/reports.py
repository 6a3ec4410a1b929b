"""Rendering reports: the summary report and the products made from it, as HTML and PDF.

Pure functions of the figures, the chair's narrative and a date, so the same inputs always
give the same HTML (and the same hash when frozen). Nothing here reads the database.

Three rules keep a report safe to open and to share:

- The chair's narrative is a person's text: it is passed as a *value* to a fixed paragraph
  template run in a sandboxed, autoescaping environment, and is never compiled as a template
  itself, so ``{{ 7*7 }}`` or ``<script>`` come out as the characters typed.
- A report loads nothing: charts are inline SVG made here, styles are inline, and WeasyPrint
  is given a URL fetcher that refuses every URL, so no file or address is ever read while a
  PDF is made. The HTML also carries a Content-Security-Policy that forbids scripts and any
  outside resource when it is opened in a browser.
- A product made for a wider audience than the learning hub shows counts pooled across
  agencies or settings only as its disclosure rule allows (``states.rules.disclosure``): no reader,
  knowing its own answers, can work out another's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import NoReturn

from jinja2 import Environment, StrictUndefined, Template
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from notifications.charts import bar_charts, colours, shapes
from notifications.render import london_day, template_environment
from states.definitions.disclosure import DisclosureRule
from states.services.product_counts import product_counts
from states.services.report_data import Bar, Figures, Setting

SECTION_TITLES: Mapping[str, str] = {
    "working_well": "What is working well",
    "emerging_concerns": "Emerging concerns",
    "recommendations": "Recommendations about the most significant areas for change",
    "reflection": "Reflection on the audit process",
}
TEMPLATES = {
    "summary": "report/summary.html",
    "summary_to_all": "report/summary_to_all.html",
    "briefing": "report/briefing.html",
    "learning_on_a_page": "report/learning_on_a_page.html",
    "feedback_letter": "report/feedback_letter.html",
}
# The summary as a document of its own, or as a part of a web page under the page's h1 and h2.
DOCUMENT = "report/base.html"
EMBEDDED = "report/embedded.html"
EMBEDDED_DEPTH = 2
_HEADING = re.compile(r"<(/?)h([1-6])(?=[\s>])")
# An en dash for "no figure": a hyphen would read as a minus sign beside the deltas.
_NONE = "\N{EN DASH}"
_BULLET = re.compile(r"^\s*[-*•]\s+")
# Fixed: the narrative is the value `blocks`, never part of the template's source.
_PARAGRAPHS = """{% for kind, lines in blocks %}{% if kind == 'list' %}<ul>
{% for line in lines %}<li>{{ line }}</li>
{% endfor %}</ul>
{% else %}<p>{% for line in lines %}{{ line }}{% if not loop.last %}<br>
{% endif %}{% endfor %}</p>
{% endif %}{% endfor %}"""


class ReportFetchRefused(ValueError):
    """A report tried to load something; reports load nothing, so it is refused."""


def refuse_every_url(url: str, *_args: object, **_kwargs: object) -> NoReturn:
    raise ReportFetchRefused(f"reports load nothing from elsewhere (asked for {url[:80]!r})")


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """Paragraphs (split at blank lines) and bullet lists (every line starting "- " or "* ")."""
    found: list[tuple[str, list[str]]] = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if not lines:
            continue
        if all(_BULLET.match(line) for line in lines):
            found.append(("list", [_BULLET.sub("", line) for line in lines]))
        else:
            found.append(("paragraph", lines))
    return found


def narrative_html(text: str) -> Markup:
    """A person's text as escaped HTML paragraphs, rendered in the sandbox."""
    if not text.strip():
        return Markup('<p class="empty">Not yet written.</p>')
    return Markup(_paragraph_template().render(blocks=blocks(text)))  # noqa: S704 - autoescaped


@cache
def _paragraph_template() -> Template:
    sandbox = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    return sandbox.from_string(_PARAGRAPHS)


@cache
def _environment() -> Environment:
    environment = template_environment()
    environment.globals.update(
        charts=bar_charts, colours=colours, shapes=shapes, section_titles=SECTION_TITLES
    )
    environment.filters.update(
        narrative=narrative_html, number=_number, delta=_delta, mean=_mean, share=_share
    )
    return environment


def _number(value: int) -> str:
    return f"{value:,}"


def _mean(value: float | None) -> str:
    return _NONE if value is None else f"{value:.2f}"


def _delta(value: float | None) -> str:
    return _NONE if value is None else f"{value:+.2f}"


def _share(part: int, whole: int) -> str:
    return _NONE if not whole else f"{round(100 * part / whole)}%"


def render(
    kind: str,
    figures: Figures,
    narrative: Mapping[str, str],
    *,
    version: int,
    dated: datetime,
    draft: bool = False,
    setting: Setting | None = None,
    feedback: str | None = None,
    rule: DisclosureRule | None = None,
    embedded: bool = False,
) -> str:
    """One report as a complete HTML document. ``dated`` is an aware instant (the clock's).

    The summary is the learning hub's record and shows its figures as they are; a product
    shows pooled counts only as its disclosure ``rule`` allows. ``embedded`` gives the
    summary as a part of a web page instead (``embedded_summary``)."""
    if kind not in TEMPLATES:
        raise ValueError(f"unknown report kind {kind!r}; known: {', '.join(TEMPLATES)}")
    if embedded and kind != "summary":
        raise ValueError("only the summary report is shown inside a page")
    if (kind == "feedback_letter") != (setting is not None):
        raise ValueError("a feedback letter, and only a letter, is written to one setting")
    if (kind == "summary") != (rule is None):
        raise ValueError("a product, and only a product, is made under a disclosure rule")
    context = {
        "figures": figures,
        "narrative": {key: narrative.get(key, "") for key in SECTION_TITLES},
        "version": version,
        "dated": london_day(dated),
        "draft": draft,
        "setting": setting,
        "feedback": feedback or "",
        "layout": EMBEDDED if embedded else DOCUMENT,
    }
    html = (
        _environment()
        .get_template(TEMPLATES[kind])
        .render(context | _counts(figures, rule, setting))
    )
    return _headings_down(html, EMBEDDED_DEPTH) if embedded else html


def embedded_summary(
    figures: Figures, narrative: Mapping[str, str], *, version: int, dated: datetime
) -> Markup:
    """The summary report as a part of a web page: the document's content under the page's
    own headings, styled by the page's stylesheet."""
    html = render("summary", figures, narrative, version=version, dated=dated, embedded=True)
    return Markup(html)  # noqa: S704 - rendered by the autoescaping templates above


def _headings_down(html: str, levels: int) -> str:
    """Every heading ``levels`` lower (h1 -> h3 for 2). Safe on this HTML only: the chair's
    words reach it escaped, so every "<h" in it is one of the templates' own tags."""

    def lower(found: re.Match[str]) -> str:
        return f"<{found[1]}h{min(int(found[2]) + levels, 6)}"

    return _HEADING.sub(lower, html)


def _counts(
    figures: Figures, rule: DisclosureRule | None, setting: Setting | None
) -> dict[str, object]:
    """The summary's figures as they are; a product's only as its rule allows (and no totals
    across sections, which would let a reader subtract its way to a small count)."""
    if rule is None:
        return {"totals": _totals(figures.by_section, "All sections")}
    reader = None if setting is None else setting.code
    return {"rule": rule, "counts": product_counts(figures, rule, reader=reader)}


def _totals(bars: Sequence[Bar], label: str) -> list[Bar]:
    """Every section's ratings added up, one bar per scale: the picture at a glance."""
    return [
        Bar(
            key="all",
            label=label,
            values=group[0].values,
            labels=group[0].labels,
            counts=tuple(sum(counts) for counts in zip(*(b.counts for b in group), strict=True)),
        )
        for group in shapes(bars)
    ]


def to_pdf(html: str) -> bytes:
    """The HTML as a PDF. No base URL and a fetcher that refuses everything: nothing is read."""
    from weasyprint import HTML  # heavy: only when asked

    pdf = HTML(string=html, base_url=None, url_fetcher=refuse_every_url).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


# The Word versions (notifications/word_*.py) print the same figures the same way.
number, mean, delta, share = _number, _mean, _delta, _share


def rating_totals(bars: Sequence[Bar]) -> list[Bar]:
    """Every section's ratings added up, one bar per scale, as the summary's glance shows."""
    return _totals(bars, "All sections")
