"""Reports as people receive them: a full MACE and a full Section 175 cycle produce the summary
report in HTML and PDF (turned into PNG pages by pdftoppm and read back by pdftotext), the
7-minute briefing, learning on a page, the letters and the summary to all settings; the
chair's words come out as typed, however template-like; a frozen report keeps its hash; and
nothing typed into a return ever reaches a report.

The cycles render real PDFs, so they run on SQLite only; the engine's side of the same rules
runs on both stores in tests/states/services/test_reports.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine

from notifications import reports as rendering
from notifications.charts import CHAR_WIDTH, ROWS_PER_CHART, WIDTH, bar_charts
from notifications.publishing import current_summary, make_products
from states.clock import FakeClock
from states.definitions.disclosure import DisclosureRule
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services import report_store, work
from states.services.deps import Deps
from states.services.dissemination import list_disseminations, record_dissemination
from states.services.report_data import Bar, Figures, Setting
from states.services.report_store import StoredReport
from tests.support.figures import GRADES, bar, s175_figures
from tests.support.partnership import email, seed_partnership
from tests.support.reporting import (
    HEADINGS,
    NARRATIVE,
    PLANTED,
    SENTINELS,
    drafting,
    pdf_pages,
    pdf_text,
    words_past_the_margin,
)

FEEDBACK = "Strong safeguarding culture; update the online safety policy."


@pytest.fixture
def deps(sqlite_engine: Engine, catalogue: Catalogue, clock: FakeClock) -> Deps:
    built = Deps(uow=UnitOfWorkFactory(sqlite_engine), catalogue=catalogue, clock=clock)
    seed_partnership(built)
    return built


def _non_blank(pages: Iterable[Path]) -> None:
    for page in pages:
        with Image.open(page) as image:
            shades = image.convert("L").histogram()  # pixels per grey level, black first
        darkest = next(level for level, pixels in enumerate(shades) if pixels)
        inked = sum(shades[:200])
        assert darkest < 100, f"{page.name} has no dark ink"
        assert inked > 2_000, f"{page.name} is nearly blank ({inked} inked pixels)"


def _assert_narrative_as_typed(html: str, *, reflection: bool = True) -> None:
    """Template syntax and markup in the chair's words are shown, never run. (Products for
    practitioners leave out the reflection on the audit process.)"""
    assert "The voice of the child was recorded {{ 7*7 }}" in html
    assert "{% for x in range(3) %}loop{% endfor %}" in html
    assert "looploop" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert ("{{ &#39;&#39;.__class__ }}" in html) is reflection
    assert "<script" not in html.lower()


def _check_pdf(report: StoredReport, folder: Path, *expected: str) -> str:
    assert report.pdf is not None and report.pdf.startswith(b"%PDF")
    pages = pdf_pages(report.pdf, folder, f"{report.kind}-{report.agency or 'all'}")
    assert pages
    _non_blank(pages)
    words = pdf_text(report.pdf, folder)
    for phrase in expected:
        assert phrase in words, phrase
    assert words_past_the_margin(report.pdf, folder) == [], report.kind
    return words


def _no_sentinels(reports: Iterable[StoredReport], folder: Path) -> None:
    for report in reports:
        assert report.html is not None and report.pdf is not None
        figures = report.figures.model_dump_json() if report.figures else ""
        shown = report.html + pdf_text(report.pdf, folder) + figures + str(report.narrative)
        assert not any(s in shown for s in SENTINELS), report.kind


def _summary_cycle(deps: Deps, audit_type: str, tmp_path: Path) -> tuple[str, StoredReport]:
    """Draft, check the draft, submit for sign-off (which freezes it), and check the frozen
    report as it is read; every
    agency's free text names a made-up child, which no report may show."""
    driver = drafting(deps, audit_type, cast=PLANTED)
    reference = driver.reference
    work.raise_immediate_risk(
        deps,
        audit=reference,
        actor=email("chair"),
        agency="police",
        concern=f"{SENTINELS[0]} was left alone overnight",
    )
    draft = current_summary(deps, audit=reference)
    assert not draft.frozen and "Draft: not yet frozen" in draft.html

    driver.advance("awaiting_sign_off")  # submitting froze it: its content, and its hash
    frozen = report_store.latest(deps, audit=reference)
    assert frozen is not None and frozen.intact and frozen.html is None
    read = current_summary(deps, audit=reference, pdf=True)
    assert read.frozen and read.version == frozen.version
    summary = replace(frozen, html=read.html, pdf=read.pdf)  # the report as people read it
    assert summary.html is not None
    assert "Draft: not yet frozen" not in summary.html
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in summary.html
    _assert_narrative_as_typed(summary.html)
    words = _check_pdf(summary, tmp_path, *HEADINGS, "The quantitative picture")
    assert "The voice of the child was recorded {{ 7*7 }}" in words
    assert "Escalate drift in plans <script>alert('x')</script>" in words

    # Made from the frozen content, dated the day it was frozen: the same whenever read.
    assert isinstance(deps.clock, FakeClock)
    deps.clock.advance(timedelta(days=3))
    again = current_summary(deps, audit=reference)
    assert again.frozen and again.html == summary.html
    driver.advance("dissemination")
    return reference, summary


@pytest.mark.slow
def test_a_full_mace_cycle_produces_the_report_and_its_products(deps: Deps, tmp_path: Path) -> None:
    reference, summary = _summary_cycle(deps, "mace", tmp_path)
    assert summary.figures is not None and summary.figures.cases == 3
    assert "Ratings by agency" in (summary.html or "")
    # An EEDI question's answers are headed by its own options, though another question uses
    # the same value ("not_needed") for "There was no disagreement that needed escalating".
    (needs,) = [b for b in summary.figures.eedi_answers if b.key == "communication_needs_met"]
    labels = dict(zip(needs.values, needs.labels, strict=True))
    assert labels.get("not_needed", "There were no particular communication needs") == (
        "There were no particular communication needs"
    )
    assert labels["met"] == "Yes, they were met"
    assert "disagreement" not in (summary.html or "")

    products = make_products(deps, audit=reference, actor=email("coordinator"))
    assert [p.kind for p in products] == ["briefing", "learning_on_a_page"]
    briefing, page = products
    assert all(p.intact and p.version == 1 for p in products)
    _check_pdf(briefing, tmp_path, "7-minute briefing", "Why it matters", "Questions for your team")
    _check_pdf(page, tmp_path, "Learning on a page", "What we are asking you to do")
    for product in products:
        _assert_narrative_as_typed(product.html or "", reflection=False)
        # Every partner reads these: ratings pooled by section, never by agency, and a grade
        # no case was given is merged with its neighbour rather than shown as a small count.
        assert "Ratings by agency" not in (product.html or "")
        assert "(Requires improvement or Inadequate)" in (product.html or "")
    assert make_products(deps, audit=reference, actor=email("coordinator")) == products

    for kind, audience, channel in (
        ("summary", "Learning hub", "learning_hub"),
        ("briefing", "OSCP website", "website"),
        ("learning_on_a_page", "Every partner agency's safeguarding leads", "email"),
    ):
        record_dissemination(
            deps,
            audit=reference,
            actor=email("coordinator"),
            kind=kind,
            audience=audience,
            channel=channel,
        )
    assert [d.channel for d in list_disseminations(deps, audit=reference)] == [
        "learning_hub",
        "website",
        "email",
    ]
    _no_sentinels([summary, *products], tmp_path)


@pytest.mark.slow
def test_a_full_section_175_cycle_writes_to_each_sampled_setting_and_to_all(
    deps: Deps, tmp_path: Path
) -> None:
    reference, summary = _summary_cycle(deps, "section_175", tmp_path)
    figures = summary.figures
    assert figures is not None and len(figures.deep_dive) == 2
    names = {s.code: s.name for s in figures.agencies}

    products = make_products(deps, audit=reference, actor=email("coordinator"))
    kinds = [(p.kind, p.agency) for p in products]
    sampled = [s.code for s in figures.deep_dive]
    assert kinds == [
        ("briefing", None),
        ("learning_on_a_page", None),
        *[("feedback_letter", code) for code in sampled],
        ("summary_to_all", None),
    ]
    for letter in (p for p in products if p.kind == "feedback_letter"):
        assert letter.agency is not None
        words = _check_pdf(
            letter, tmp_path, "Our feedback to you", FEEDBACK, "Your ratings beside the other"
        )
        # A letter shows one setting its own figures, and no other setting's name; with three
        # settings, two others are too few to compare with.
        assert names[letter.agency] in words
        assert not any(n in words for code, n in names.items() if code != letter.agency)
        assert "There are too few settings to compare" in words
    to_all = products[-1]
    words = _check_pdf(to_all, tmp_path, "Summary findings for all settings", *HEADINGS)
    assert not any(name in words for name in names.values())
    assert "Too few settings took part to show these counts" in words

    for code in sampled:
        record_dissemination(
            deps,
            audit=reference,
            actor=email("chair"),
            kind="feedback_letter",
            agency=code,
            audience="Designated safeguarding lead",
            channel="email",
        )
    record_dissemination(
        deps,
        audit=reference,
        actor=email("coordinator"),
        kind="summary_to_all",
        audience="All schools and settings",
        channel="email",
    )
    shared = list_disseminations(deps, audit=reference)
    assert [(d.kind, d.agency) for d in shared] == [
        *[("feedback_letter", code) for code in sampled],
        ("summary_to_all", None),
    ]
    _no_sentinels([summary, *products], tmp_path)
    assert all(r.intact for r in report_store.list_reports(deps, audit=reference))


# --- rendering alone ------------------------------------------------------------------------


def _figures(agencies: int = 2) -> Figures:
    bars = tuple(
        bar(f"school-{n}", f"School {n}", (n, 1, 0), labels=GRADES) for n in range(agencies)
    )
    return s175_figures(
        theme="<b>Safeguarding</b> {{ theme }}",
        agencies=tuple(Setting(code=b.key, name=b.label) for b in bars),
        by_section=bars[:1],
        by_agency=bars,
    )


def test_the_narrative_is_shown_as_typed_and_the_same_inputs_give_the_same_html() -> None:
    dated = datetime(2026, 3, 2, 12, tzinfo=UTC)
    html = rendering.render("summary", _figures(), NARRATIVE, version=1, dated=dated)
    _assert_narrative_as_typed(html)
    assert "&lt;b&gt;Safeguarding&lt;/b&gt; {{ theme }}" in html
    assert "<li>Strategy meetings were held on time</li>" in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert rendering.render("summary", _figures(), NARRATIVE, version=1, dated=dated) == html
    # Nothing in the document points anywhere: no src, no href, no url().
    assert not any(token in html for token in ("src=", "href=", "url("))


def test_the_summary_inside_a_page_is_the_same_content_under_the_pages_headings() -> None:
    dated = datetime(2026, 3, 2, 12, tzinfo=UTC)
    document = rendering.render("summary", _figures(), NARRATIVE, version=2, dated=dated)
    inside = str(rendering.embedded_summary(_figures(), NARRATIVE, version=2, dated=dated))
    _assert_narrative_as_typed(inside)
    assert inside.startswith('<article class="frozen-report"')
    # Nothing a page holds once: no document, head, style, landmarks of its own, or h1/h2.
    for whole_page in ("<html", "<head>", "<style", "<main", "<footer", "<h1", "<h2"):
        assert whole_page not in inside, whole_page
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in document and f"<h4>{heading}</h4>" in inside
    assert "<h3>Summary report: " in inside and "version 2, dated Monday 2 March 2026" in inside
    assert re.findall(r"<table", inside) == re.findall(r"<table", document)
    with pytest.raises(ValueError, match="only the summary report"):
        rendering.render("briefing", _figures(), NARRATIVE, version=1, dated=dated, embedded=True)


def test_a_pdf_loads_nothing_from_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    original = rendering.refuse_every_url

    def refuse(url: str, *args: object, **kwargs: object) -> None:
        asked.append(url)
        original(url)

    monkeypatch.setattr(rendering, "refuse_every_url", refuse)
    html = (
        '<html><head><link rel="stylesheet" href="file:///etc/passwd"></head><body>'
        '<img src="http://127.0.0.1:9/pixel.png"><p>Report</p></body></html>'
    )
    pdf = rendering.to_pdf(html)
    assert pdf.startswith(b"%PDF")
    assert sorted(asked) == ["file:///etc/passwd", "http://127.0.0.1:9/pixel.png"]


def test_learning_on_a_page_keeps_long_words_within_the_margins(tmp_path: Path) -> None:
    """A web address or a long word in the chair's words breaks inside its panel instead of
    running off the page."""
    address = "https://www.example.org/safeguarding/learning-from-audits/2026/" + "x" * 60
    narrative = {
        "working_well": f"Read the partnership's guidance at {address} before supervision.",
        "emerging_concerns": "Information" + "sharing" * 15 + " was inconsistent.",
        "recommendations": f"- Use the escalation policy ({address})",
    }
    figures = _figures(agencies=6)
    html = rendering.render(
        "learning_on_a_page",
        figures,
        narrative,
        version=1,
        dated=datetime(2026, 3, 2, tzinfo=UTC),
        rule=DisclosureRule(),
    )
    pdf = rendering.to_pdf(html)
    assert words_past_the_margin(pdf, tmp_path) == []
    assert "xxxxxxxxxx" in pdf_text(pdf, tmp_path)


def test_a_charts_key_wraps_instead_of_running_off_the_chart() -> None:
    labels = (
        "Yes, they were met",
        "Partly met",
        "No, they were not met",
        "There were no particular communication needs",
        "A grade whose label is far longer than any line of the chart's key could ever hold",
    )
    values = tuple(f"v{n}" for n in range(len(labels)))
    bar = Bar(key="q", label="Were needs met?", values=values, labels=labels, counts=(1,) * 5)
    (chart,) = bar_charts([bar], "EEDI answers")
    texts = re.findall(r'<text x="([\d.]+)" y="\d+"><title>[^<]*</title>([^<]*)<', chart)
    assert max(float(x) + CHAR_WIDTH * len(text) for x, text in texts) <= WIDTH
    keys = re.findall(r'<rect x="\d+" y="(\d+)" width="10"', chart)
    assert len(keys) == len(labels) and len(set(keys)) > 1  # every grade keyed, on 2+ lines
    assert "There were no particular communication needs" in chart  # whole where it fits


def test_long_distributions_are_cut_into_charts_that_fit_a_page() -> None:
    bars = _figures(agencies=ROWS_PER_CHART + 3).by_agency
    charts = bar_charts(bars, "Ratings by <setting>")
    assert len(charts) == 2
    assert all(c.startswith("<svg") and c.endswith("</svg>") for c in charts)
    assert "Ratings by &lt;setting&gt;" in charts[0]
    empty = Bar(key="x", label="Nobody", values=("yes", "no"), labels=("Yes", "No"), counts=(0, 0))
    (chart,) = bar_charts([empty], "Empty")
    assert "no ratings" in chart
