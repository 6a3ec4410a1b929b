"""Rating distributions as inline SVG bar charts: no JavaScript, nothing loaded from elsewhere.

Each row is one section, agency or setting: a bar split into its grades (best first, left to
right), scaled to its own total so rows of different sizes compare as shares, with the count
of ratings at the end. The same figures are always printed in a table beside the chart, so
nothing depends on telling colours apart. Long lists are cut into charts of at most
``ROWS_PER_CHART`` rows, because an SVG is never split across PDF pages.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from states.services.report_data import Bar

ROWS_PER_CHART = 24
WIDTH = 640
LABEL_WIDTH = 230
BAR_WIDTH = 340
ROW_HEIGHT = 22
BAR_HEIGHT = 14
LEGEND_HEIGHT = 26
LEGEND_LINE = 16
# A generous width of one character at the charts' 11px, so a label measured by it fits.
CHAR_WIDTH = 7
MAX_LABEL = 36
# Best to worst, by the number of grades on the scale: greens, then amber, then red.
_BY_POSITION = {
    2: ("#2e7d32", "#c62828"),
    3: ("#2e7d32", "#f9a825", "#c62828"),
    4: ("#1b5e20", "#66bb6a", "#f9a825", "#c62828"),
    5: ("#1b5e20", "#66bb6a", "#f9a825", "#ef6c00", "#c62828"),
}
_FALLBACK = ("#1b5e20", "#66bb6a", "#9ccc65", "#f9a825", "#ef6c00", "#c62828", "#6d4c41")
# yes/no/partly are not in best-first order, so they are coloured by meaning.
_BY_VALUE = {"yes": "#2e7d32", "partly": "#f9a825", "no": "#c62828"}


def colours(values: Sequence[str]) -> tuple[str, ...]:
    by_position = _BY_POSITION.get(len(values), _FALLBACK)
    return tuple(_BY_VALUE.get(v, by_position[i % len(by_position)]) for i, v in enumerate(values))


def shapes(bars: Sequence[Bar]) -> list[list[Bar]]:
    """Bars grouped by scale (same grades), in first-seen order: one chart never mixes scales."""
    grouped: dict[tuple[str, ...], list[Bar]] = {}
    for bar in bars:
        grouped.setdefault(bar.values, []).append(bar)
    return list(grouped.values())


def bar_charts(bars: Sequence[Bar], title: str) -> list[Markup]:
    """One SVG per scale and per ``ROWS_PER_CHART`` rows."""
    charts: list[Markup] = []
    for group in shapes(bars):
        for start in range(0, len(group), ROWS_PER_CHART):
            charts.append(_chart(group[start : start + ROWS_PER_CHART], title))
    return charts


def _chart(rows: Sequence[Bar], title: str) -> Markup:
    fills = colours(rows[0].values)
    legend, lines = _legend(rows[0].labels, fills)
    top = LEGEND_HEIGHT + LEGEND_LINE * (lines - 1)
    height = top + ROW_HEIGHT * len(rows) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        legend,
    ]
    for index, bar in enumerate(rows):
        parts.append(_row(bar, fills, top + index * ROW_HEIGHT))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label above went through escape()


def _legend(labels: Sequence[str], fills: Sequence[str]) -> tuple[str, int]:
    """The key to the colours, above the bars, wrapped onto as many lines as it needs so that
    no grade's label runs off the chart (an SVG's overflow is cut off, on screen and in a
    PDF); a label too long for a line of its own is shortened (the table beside the chart
    has it whole). Returns the SVG and its number of lines."""
    x, line, items = LABEL_WIDTH, 0, []
    room = (WIDTH - LABEL_WIDTH - 24) // CHAR_WIDTH
    for label, fill in zip(labels, fills, strict=True):
        shown = label if len(label) <= room else label[: room - 1] + "…"
        width = 24 + CHAR_WIDTH * len(shown)
        if x > LABEL_WIDTH and x + width > WIDTH:
            x, line = LABEL_WIDTH, line + 1
        y = 4 + LEGEND_LINE * line
        items.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" fill="{fill}"/>'
            f'<text x="{x + 14}" y="{y + 9}"><title>{escape(label)}</title>'
            f"{escape(shown)}</text>"
        )
        x += width
    return "".join(items), line + 1


def _row(bar: Bar, fills: Sequence[str], y: int) -> str:
    label = bar.label if len(bar.label) <= MAX_LABEL else bar.label[: MAX_LABEL - 1] + "…"
    top = y + (ROW_HEIGHT - BAR_HEIGHT) // 2
    parts = [f'<text x="0" y="{top + 11}"><title>{escape(bar.label)}</title>{escape(label)}</text>']
    if bar.total == 0:
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{top}" width="{BAR_WIDTH}" height="{BAR_HEIGHT}" '
            'fill="none" stroke="#9e9e9e"/>'
        )
    x = float(LABEL_WIDTH)
    for count, fill, grade in zip(bar.counts, fills, bar.labels, strict=True):
        if count == 0:
            continue
        width = BAR_WIDTH * count / bar.total
        parts.append(
            f'<rect x="{x:.1f}" y="{top}" width="{width:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{fill}"><title>{escape(grade)}: {count}</title></rect>'
        )
        x += width
    total = "no ratings" if bar.total == 0 else f"{bar.total:,}"
    parts.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{top + 11}">{total}</text>')
    return "".join(parts)
