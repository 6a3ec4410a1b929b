"""What a product made from the signed-off summary may show of its counts.

The summary report is the learning hub's record and shows its figures as they are. Every
product made from it for a wider audience (the briefing, learning on a page, the summary to
all settings, a setting's letter) shows counts pooled across agencies or settings only as
``states.rules.disclosure`` allows under the product's rule: one table row per section (for
Section 175, per standard), never a total across sections or a row per agency, because a
figure that joins rows would let a reader subtract its way back to a small count. A letter
shows its setting its own rating beside the others', the setting itself left out.

Pure: figures in, tables out; the templates only lay them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from states.definitions.disclosure import DisclosureRule
from states.rules.disclosure import Cell, Shown, leave_out, show
from states.services.report_data import Bar, Figures


@dataclass(frozen=True)
class ShownCell:
    text: str
    span: int  # how many answers' columns it covers: more than one when merged
    answers: str  # the answers it covers, e.g. "Amber or Red"


@dataclass(frozen=True)
class Row:
    label: str
    shown: Shown
    cells: tuple[ShownCell, ...]
    own: str = ""  # the reader's own answers, in a letter


@dataclass(frozen=True)
class Table:
    """Rows that share one scale, so one set of column headings."""

    labels: tuple[str, ...]
    rows: tuple[Row, ...]

    @property
    def withheld(self) -> bool:
        return all(row.shown.withheld for row in self.rows)


@dataclass(frozen=True)
class ProductCounts:
    sections: tuple[Table, ...]
    eedi_ratings: tuple[Table, ...]
    eedi_answers: tuple[Table, ...]
    compared: tuple[Table, ...]  # a letter's: the reader's own ratings beside the others'


def product_counts(
    figures: Figures, rule: DisclosureRule, *, reader: str | None = None
) -> ProductCounts:
    """The tables a product shows; ``reader`` is the setting a letter is written to."""
    return ProductCounts(
        sections=pooled(figures.by_section, rule),
        eedi_ratings=pooled(figures.eedi_ratings, rule),
        eedi_answers=pooled(figures.eedi_answers, rule),
        compared=() if reader is None else compared(figures, reader, rule),
    )


def pooled(bars: Sequence[Bar], rule: DisclosureRule) -> tuple[Table, ...]:
    return _tables([_row(bar, show(bar.counts, rule)) for bar in bars], bars)


def compared(figures: Figures, reader: str, rule: DisclosureRule) -> tuple[Table, ...]:
    """Each section: the reader's own ratings, and the others' worked out from what every
    setting is shown. Without the reader's own ratings (a summary frozen before they were
    kept) the reader cannot be left out, so nothing is compared."""
    own = next((r.by_section for r in figures.deep_dive_ratings if r.code == reader), None)
    if own is None:
        rows = [_row(bar, Shown(bar.total, ())) for bar in figures.by_section]
    else:
        mine = {(b.key, b.values): b.counts for b in own}
        rows = [_compared(bar, mine.get((bar.key, bar.values)), rule) for bar in figures.by_section]
    return _tables(rows, figures.by_section)


def _compared(bar: Bar, own: tuple[int, ...] | None, rule: DisclosureRule) -> Row:
    counts = own or (0,) * len(bar.counts)  # a section the reader did not rate
    others = leave_out(show(bar.counts, rule), counts, rule)
    return _row(bar, others, own=_own_text(bar.labels, counts))


def _row(bar: Bar, shown: Shown, *, own: str = "") -> Row:
    return Row(bar.label, shown, tuple(_cell(cell, bar.labels) for cell in shown.cells), own)


def _cell(cell: Cell, labels: Sequence[str]) -> ShownCell:
    covered = labels[cell.first : cell.last + 1]
    return ShownCell(cell.text, len(covered), " or ".join(covered))


def _own_text(labels: Sequence[str], counts: Sequence[int]) -> str:
    given = [(label, n) for label, n in zip(labels, counts, strict=True) if n]
    if not given:
        return "Not rated"
    if sum(counts) == 1:
        return given[0][0]
    return ", ".join(f"{label} {n}" for label, n in given)


def _tables(rows: Sequence[Row], bars: Sequence[Bar]) -> tuple[Table, ...]:
    """Rows grouped by scale, in first-seen order, as the summary's charts are."""
    grouped: dict[tuple[str, ...], list[Row]] = {}
    labels: dict[tuple[str, ...], tuple[str, ...]] = {}
    for row, bar in zip(rows, bars, strict=True):
        grouped.setdefault(bar.values, []).append(row)
        labels.setdefault(bar.values, bar.labels)
    return tuple(Table(labels[values], tuple(found)) for values, found in grouped.items())
