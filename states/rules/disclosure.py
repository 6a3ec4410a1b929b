"""Statistical disclosure control: what a product may show of counts pooled across settings
(or agencies), so that no reader can work out another's answers.

The threat is a reader who took part. A school reads its own feedback letter and the summary
to all settings, knows its own ratings, and can subtract: with two settings it would read the
other's ratings exactly, and with forty a count of "all" (or a small count the total gives
away) still tells it what every other setting answered. Each product's rule, declared in the
audit type, answers with three controls applied to every distribution (how many answers took
each value, for one question):

- too few answers pooled (fewer than ``min_group``): nothing is shown;
- a count ``c`` of ``m`` is shown exactly only when ``min_cell <= c <= m - min_cell``. When
  one answer is nearly everyone's, it reads "all but fewer than 3" and the rest "fewer than
  3"; otherwise small counts are merged with their neighbours, best to worst, until each
  merged count is at least ``min_cell`` ("Amber or red: 4"), so that the total never gives a
  small count away;
- a reader's own letter compares it with the others only: the comparison is what everyone is
  shown with the reader's own answers taken out (then shown by the same rule), so the letter
  and the summary together tell the reader nothing the summary alone does not.

With ``min_cell >= 3`` and ``min_group >= 2 * min_cell - 1`` (the rule refuses less), for a
question each setting answers once, whatever a reader can infer of the others' count for an
answer is a range of at least two values, or an exact count leaving at least ``min_cell - 1``
settings on either side; products sharing one banding (the audit type's check) add nothing to
it. ``tests/security/test_small_numbers.py`` checks this exhaustively. Counts that pool several
answers per setting (several questions or cases) get the same small-cell control.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from states.definitions.disclosure import DisclosureRule


@dataclass(frozen=True)
class Cell:
    """What is shown for one answer, or for neighbouring answers merged: a count between
    ``low`` and ``high`` (equal when it is exact), out of ``out_of`` answers."""

    first: int  # index of the first answer covered
    last: int  # index of the last one (the first, unless merged)
    low: int
    high: int
    out_of: int

    @property
    def exact(self) -> bool:
        return self.low == self.high

    @property
    def merged(self) -> bool:
        return self.first != self.last

    @property
    def text(self) -> str:
        if self.exact:
            return f"{self.low:,}"
        if self.low == 0:
            return f"fewer than {self.high + 1:,}"
        if self.high == self.out_of:
            return f"all but fewer than {self.out_of - self.low + 1:,}"
        return f"{self.low:,} to {self.high:,}"


@dataclass(frozen=True)
class Shown:
    """One distribution as a product may show it; no cells when it may show nothing."""

    out_of: int
    cells: tuple[Cell, ...]

    @property
    def withheld(self) -> bool:
        return not self.cells


def show(counts: Sequence[int], rule: DisclosureRule) -> Shown:
    """The distribution ``counts`` (one count per answer, best first) as everyone sees it."""
    total = sum(counts)
    if total < rule.min_group or len(counts) < 2:
        return Shown(total, ())
    nearly_all = [i for i, c in enumerate(counts) if c > total - rule.min_cell]
    if nearly_all:
        return _banded(nearly_all[0], len(counts), total, rule.min_cell)
    return _merged(counts, total, rule.min_cell)


def _banded(index: int, size: int, total: int, k: int) -> Shown:
    """One answer nearly everyone gave; the others, all small between them, as bands."""
    cells = tuple(
        Cell(i, i, total - k + 1, total, total) if i == index else Cell(i, i, 0, k - 1, total)
        for i in range(size)
    )
    return Shown(total, cells)


def _merged(counts: Sequence[int], total: int, k: int) -> Shown:
    """Sweep from the best answer to the worst, closing a cell once it holds ``k``; a small
    remainder joins the last cell. Every cell is then at least ``k``, so at most
    ``total - k``: all exact, and the total gives none of the merged ones' parts away."""
    groups: list[tuple[int, int, int]] = []
    start = running = 0
    for i, count in enumerate(counts):
        running += count
        if running >= k:
            groups.append((start, i, running))
            start, running = i + 1, 0
    if start < len(counts) and groups:
        first, _, held = groups.pop()
        groups.append((first, len(counts) - 1, held + running))
    if len(groups) < 2:  # everything merged into one: nothing is left to show
        return Shown(total, ())
    return Shown(total, tuple(Cell(a, b, n, n, total) for a, b, n in groups))


def leave_out(everyone: Shown, own: Sequence[int], rule: DisclosureRule) -> Shown:
    """The comparison a reader's letter shows: what ``everyone`` shows, with the reader's own
    answers (``own``, counted like the distribution) taken out and shown by the same rule."""
    others = everyone.out_of - sum(own)
    if everyone.withheld or others < rule.min_group:
        return Shown(others, ())
    return Shown(
        others,
        tuple(
            _without(cell, sum(own[cell.first : cell.last + 1]), others, rule.min_cell)
            for cell in everyone.cells
        ),
    )


def _without(cell: Cell, mine: int, others: int, k: int) -> Cell:
    # The reader's answers are among those counted, so the others' count is the cell's less
    # the reader's; one that is then small either way widens to the band the rule names.
    low, high = max(cell.low - mine, 0), min(cell.high - mine, others)
    if high < k:
        low, high = 0, k - 1
    elif low > others - k:
        low, high = others - k + 1, others
    return Cell(cell.first, cell.last, low, high, others)
