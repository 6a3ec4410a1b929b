"""What a type declares it must share, checked at load: each item named once, and the way on
from a disseminating state held until everything is recorded as shared.

``check_dissemination`` is part of the load-time checks ``states.definitions.graph.check_graph``
runs on files and on the definitions running audits started with. ``check_declared`` (a type
with a disseminating state declares what it shares) is asked of files only
(``states.definitions.loader``): an audit started before types declared it has no such block
and no such gate, and carries on requiring nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from states.definitions.gate_names import DISSEMINATION_RECORDED
from states.definitions.model import AuditTypeDefinition, TransitionDef
from states.definitions.stage_names import Stage
from states.definitions.yaml_source import PathPart

Found = Iterator[tuple[tuple[PathPart, ...], str]]


def check_dissemination(model: AuditTypeDefinition) -> Found:
    yield from _check_items(model)
    yield from _check_gate_placement(model)
    if model.dissemination is not None:
        yield from _check_ways_on(model)


def check_declared(model: AuditTypeDefinition) -> Found:
    """A file whose type shares learning says what it shares. A transition naming the gate
    already asks for the block, at the gate."""
    if model.dissemination is not None or any(
        DISSEMINATION_RECORDED in t.gates for t in model.transitions
    ):
        return
    for i, state in enumerate(model.states):
        if state.stage is Stage.DISSEMINATING:
            yield (
                ("states", i, "stage"),
                f"state '{state.name}' shares learning, so the definition needs a "
                "dissemination block (what it must share, and by which channels)",
            )
            return


def _check_items(model: AuditTypeDefinition) -> Found:
    if model.dissemination is None:
        return
    seen: set[str] = set()
    for i, item in enumerate(model.dissemination.items):
        if item.id in seen:
            yield ("dissemination", "items", i, "id"), f"item '{item.id}' is declared twice"
        seen.add(item.id)


def _sources(model: AuditTypeDefinition, t: TransitionDef) -> tuple[str, ...]:
    if t.sources == ("*",):
        return tuple(s.name for s in model.states if not s.final)
    return t.sources


def _check_gate_placement(model: AuditTypeDefinition) -> Found:
    """The gate holds what a disseminating state promises, and nothing else."""
    sharing = {s.name for s in model.states if s.stage is Stage.DISSEMINATING}
    for i, t in enumerate(model.transitions):
        if DISSEMINATION_RECORDED not in t.gates:
            continue
        elsewhere = [s for s in _sources(model, t) if s not in sharing]
        if not (elsewhere or t.internal):
            continue
        why = "an internal transition" if t.internal else f"'{elsewhere[0]}' is not"
        yield (
            ("transitions", i, "gates", t.gates.index(DISSEMINATION_RECORDED)),
            f"gate '{DISSEMINATION_RECORDED}' may only gate a way out of a disseminating "
            f"state ({why})",
        )


def _check_ways_on(model: AuditTypeDefinition) -> Found:
    """Every way on from a disseminating state waits for what is declared (withdrawal, from
    every open state at once, stops an audit rather than moving it on)."""
    sharing = {s.name for s in model.states if s.stage is Stage.DISSEMINATING}
    for i, t in enumerate(model.transitions):
        if t.internal or t.sources == ("*",) or DISSEMINATION_RECORDED in t.gates:
            continue
        left = [s for s in t.sources if s in sharing]
        if left:
            yield (
                ("transitions", i),
                f"'{t.trigger}' leaves '{left[0]}', which shares learning, so it needs the "
                f"gate {DISSEMINATION_RECORDED} (everything declared is recorded as shared)",
            )
