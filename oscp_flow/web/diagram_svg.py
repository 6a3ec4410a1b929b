"""An audit type's state diagram as inline SVG, with the audit's current state filled.

There is no Graphviz binary on the machines and pages run no JavaScript, so the layout is
drawn here, fitted to the shape every definition has: the main path (the longest route from
the initial state to a final one, as ``graph.main_path`` finds it) runs down the left,
and the few states off it (further assurance, withdrawn) sit in a column beside the state
that leads to them. Forward skips and loops on the main path curve round its left side.
Transitions allowed from every open state would draw an arrow from each box; they are named
once instead. Colours are CSS classes in ``site.css`` (the CSP allows no inline styles).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

from markupsafe import Markup, escape

from states.definitions.graph import WILDCARD, expand_sources, main_path
from states.definitions.model import AuditTypeDefinition

WIDTH, HEIGHT, PITCH = 270, 36, 54  # a box, and the distance between rows
LEFT, GAP, TOP = 80, 90, 24  # room for the curves, between the columns, for a label
SIDE = LEFT + WIDTH + GAP


@dataclass(frozen=True)
class Drawing:
    svg: Markup
    anywhere: tuple[str, ...]  # titles of what can happen in any open state


@dataclass(frozen=True)
class _Box:
    name: str
    title: str
    column: int
    row: int

    @property
    def x(self) -> int:
        return LEFT if self.column == 0 else SIDE

    @property
    def y(self) -> int:
        return TOP + self.row * PITCH

    @property
    def middle(self) -> int:
        return self.y + HEIGHT // 2


def spine(definition: AuditTypeDefinition) -> list[str]:
    """The main path's states in order: the longest of the routes to each final state."""
    start = definition.initial_state
    routes = []
    for final in sorted(definition.final_states):
        try:
            routes.append(main_path(definition, start, final))
        except ValueError:  # reached only from "every open state", e.g. withdrawn
            continue
    longest = max(routes, key=len, default=[])
    return [start, *(step.dest for step in longest)]


def _edges(definition: AuditTypeDefinition) -> list[tuple[str, str, str]]:
    return [
        (source, t.dest, t.title)
        for t in definition.transitions
        if t.dest is not None and not t.internal and t.sources != (WILDCARD,)
        for source in expand_sources(definition, t.sources)
    ]


def _layout(definition: AuditTypeDefinition, edges: list[tuple[str, str, str]]) -> list[_Box]:
    main = spine(definition)
    boxes = [_Box(name, definition.state(name).title, 0, row) for row, name in enumerate(main)]
    taken: set[int] = set()
    for state in definition.states:
        if state.name in main:
            continue
        # Beside the first main-path state it is joined to; the bottom when it joins none.
        joined = [
            main.index(o) for s, d, _ in edges if state.name in (s, d) for o in (s, d) if o in main
        ]
        row = min(joined, default=len(main) - 1)
        while row in taken:
            row += 1
        taken.add(row)
        boxes.append(_Box(state.name, state.title, 1, row))
    return boxes


def _line(a: _Box, b: _Box, offset: int) -> str:
    if a.column == b.column == 0 and b.row == a.row + 1:
        x = LEFT + WIDTH // 2
        return f"M{x},{a.y + HEIGHT} L{x},{b.y - 2}"
    if a.column == b.column:
        # Round the outside of the column: left of the main path, right of the side one.
        side = -1 if a.column == 0 else 1
        x = a.x if side < 0 else a.x + WIDTH
        bend = x + side * min(16 + 10 * abs(b.row - a.row), LEFT - 8)
        return (
            f"M{x},{a.middle + offset} C{bend},{a.middle + offset} "
            f"{bend},{b.middle + offset} {x - side * 2},{b.middle + offset}"
        )
    start = a.x + WIDTH if a.column < b.column else a.x
    end = b.x - 2 if a.column < b.column else b.x + WIDTH + 2
    return f"M{start},{a.middle + offset} L{end},{b.middle + offset}"


def _svg_edges(boxes: dict[str, _Box], edges: list[tuple[str, str, str]]) -> Iterator[str]:
    pairs = {(s, d) for s, d, _ in edges}
    for source, dest, title in edges:
        a, b = boxes[source], boxes[dest]
        # A pair of opposite arrows is drawn as two parallel lines, not one on top of the other.
        offset = 0 if (dest, source) not in pairs else (-7 if a.column < b.column else 7)
        yield (
            f'<path class="edge" d="{_line(a, b, offset)}" marker-end="url(#diagram-arrow)">'
            f"<title>{escape(title)}</title></path>"
        )


def _svg_box(box: _Box, classes: list[str]) -> str:
    label = escape(box.title)
    current = ' aria-current="step"' if "current" in classes else ""
    return (
        f'<g class="{" ".join(classes)}" id="state-{escape(box.name)}"{current}>'
        f"<title>{label}</title>"
        f'<rect x="{box.x}" y="{box.y}" width="{WIDTH}" height="{HEIGHT}" rx="6"/>'
        f'<text x="{box.x + 12}" y="{box.y + 23}">{label}</text></g>'
    )


def draw(definition: AuditTypeDefinition, current: str, visited: Collection[str] = ()) -> Drawing:
    edges = _edges(definition)
    boxes = {box.name: box for box in _layout(definition, edges)}
    finals = definition.final_states
    anywhere = [t for t in definition.transitions if t.sources == (WILDCARD,)]
    parts = [_svg_box(b, _classes(b, current, visited, finals)) for b in boxes.values()]
    for t in anywhere:
        if t.dest is not None and t.dest in boxes and not t.internal:
            box = boxes[t.dest]
            parts.append(
                f'<text class="note" x="{box.x}" y="{box.y - 6}">'
                f"{escape(t.title)}: from any open stage</text>"
            )
    rows = max(b.row for b in boxes.values()) + 1
    width, height = SIDE + WIDTH + 16, TOP + rows * PITCH
    main = ", ".join(b.title for b in boxes.values() if b.column == 0)
    svg = (
        f'<svg class="diagram" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="diagram-title diagram-desc">'
        f'<title id="diagram-title">Stages of {escape(definition.title)}</title>'
        f'<desc id="diagram-desc">Now at: {escape(definition.state(current).title)}. '
        f"Main path: {escape(main)}.</desc>"
        '<defs><marker id="diagram-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path class="arrowhead" d="M0,0 L10,5 L0,10 z"/></marker></defs>'
        f"{''.join(_svg_edges(boxes, edges))}{''.join(parts)}</svg>"
    )
    titles = tuple(t.title for t in anywhere if t.internal or t.dest is None)
    return Drawing(Markup(svg), titles)  # noqa: S704 (every text above is escaped)


def _classes(
    box: _Box, current: str, visited: Collection[str], finals: Collection[str]
) -> list[str]:
    classes = ["state"]
    if box.name == current:
        classes.append("current")
    elif box.name in visited:
        classes.append("visited")
    if box.name in finals:
        classes.append("final")
    return classes
