"""Rating distributions as PNG bar charts for the Word versions, drawn by matplotlib.

The same picture as ``notifications.charts`` draws in SVG for the HTML and PDF: one row per
section, agency or setting, split into its grades best first, scaled to its own total, with
the count of ratings at the end, in the same colours, grouped by scale and cut into charts of
at most ``ROWS_PER_CHART`` rows. Each chart is followed by a table of the same counts, so
nothing depends on telling colours apart.

Drawn on a ``matplotlib.figure.Figure`` with the Agg canvas, never through pyplot, whose
global state would be shared between requests in the web app's threads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from notifications.charts import MAX_LABEL, ROWS_PER_CHART, colours, shapes
from states.services.report_data import Bar

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_INCHES = 6.3
ROW_INCHES = 0.3
LEGEND_INCHES = 0.4
DPI = 150
EMPTY_EDGE = "#9e9e9e"


@dataclass(frozen=True)
class Chart:
    """One chart as an image, and the bars it draws (the table after it shows them)."""

    png: bytes
    rows: tuple[Bar, ...]
    title: str


def chart_images(bars: Sequence[Bar], title: str) -> list[Chart]:
    """One PNG per scale and per ``ROWS_PER_CHART`` rows, as ``charts.bar_charts`` cuts them."""
    found: list[Chart] = []
    for group in shapes(bars):
        for start in range(0, len(group), ROWS_PER_CHART):
            rows = tuple(group[start : start + ROWS_PER_CHART])
            found.append(Chart(_png(rows), rows, title))
    return found


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _png(rows: Sequence[Bar]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # heavy: only when asked
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_INCHES, LEGEND_INCHES + ROW_INCHES * len(rows) + 0.25), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.37, 0.02, 0.5, 1 - LEGEND_INCHES / figure.get_figheight()))
    _bars(axes, rows)
    buffer = io.BytesIO()
    # No "Software" stamp: the same bars always give the same bytes.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _bars(axes: Axes, rows: Sequence[Bar]) -> None:
    fills = colours(rows[0].values)
    places = list(range(len(rows)))[::-1]  # the first row on top, as in the SVG
    lefts = [0.0] * len(rows)
    for index, (grade, fill) in enumerate(zip(rows[0].labels, fills, strict=True)):
        widths = [bar.counts[index] / bar.total if bar.total else 0.0 for bar in rows]
        axes.barh(places, widths, left=lefts, height=0.64, color=fill, label=grade)
        lefts = [left + width for left, width in zip(lefts, widths, strict=True)]
    for place, bar in zip(places, rows, strict=True):
        if bar.total == 0:
            axes.barh([place], [1.0], height=0.64, fill=False, edgecolor=EMPTY_EDGE)
        total = "no ratings" if bar.total == 0 else f"{bar.total:,}"
        axes.text(1.02, place, total, va="center", fontsize=8)
    axes.set_yticks(places, [_short(bar.label) for bar in rows], fontsize=8)
    axes.set_xlim(0, 1)
    axes.set_ylim(-0.6, len(rows) - 0.4)
    axes.set_xticks([])
    for side in ("top", "right", "bottom", "left"):
        axes.spines[side].set_visible(False)
    axes.tick_params(left=False)
    axes.legend(
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncols=min(len(fills), 3),
        frameon=False,
        fontsize=8,
        handlelength=1.0,
    )
