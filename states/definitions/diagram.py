"""Mermaid and Graphviz DOT diagrams of an audit type, drawn by ``transitions``' own graph
extension, optionally with an audit's current state highlighted.

Transitions allowed from every open state (withdrawal, immediate-risk concerns) would draw an
arrow from each state; they are listed in a note instead, so the main path stays readable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from transitions.extensions.diagrams import GraphMachine

from states.definitions.graph import WILDCARD, expand_sources
from states.definitions.model import AuditTypeDefinition

Format = Literal["mermaid", "dot"]


class _Shown:
    """The model the machine draws; ``GraphMachine`` gives it both attributes."""

    state: str
    get_graph: Callable[[], Any]


def _everywhere(definition: AuditTypeDefinition) -> list[str]:
    return [
        f"{t.trigger}" + ("" if t.internal else f" to {t.dest}")
        for t in definition.transitions
        if t.sources == (WILDCARD,)
    ]


def draw(
    definition: AuditTypeDefinition, fmt: Format = "mermaid", current: str | None = None
) -> str:
    model = _Shown()
    transitions = [
        {
            "trigger": t.trigger,
            "source": list(expand_sources(definition, t.sources)),
            "dest": t.dest,
        }
        for t in definition.transitions
        if t.sources != (WILDCARD,) and not t.internal
    ]
    GraphMachine(
        model=model,
        states=[{"name": s.name} for s in definition.states],
        transitions=transitions,
        initial=current or definition.initial_state,
        auto_transitions=False,
        graph_engine="mermaid" if fmt == "mermaid" else "graphviz",
        title=definition.title,
        show_state_attributes=False,
    )
    graph = model.get_graph()
    if fmt == "dot":
        return str(graph.source)
    text = str(graph.draw(None))
    anywhere = _everywhere(definition)
    if anywhere:
        text += f"  note right of {definition.initial_state}\n"
        text += "    From any open state: " + "; ".join(anywhere) + "\n  end note\n"
    return text
