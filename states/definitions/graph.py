"""Whole-graph rules for an audit type, checked at load time, never at run time, and the
paths through the graph the engine and its pictures walk.

Each check yields ``(path, sentence)`` pairs; the loader turns paths into line numbers. The
stage checks hold each state to what its declared ``stage`` promises the engine
(``states.rules.stages`` derives the engine's view from those declarations), and the triggers
the engine fires by name to exist wherever it may fire them.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from states.definitions.dissemination_checks import check_dissemination
from states.definitions.gate_names import (
    ALL_RETURNS_IN,
    DECLARED,
    ESCALATION_OPEN,
    ESCALATIONS_ASSURED,
    FINDINGS_MODERATED,
    SIGN_OFF_QUORUM,
    SIGN_OFF_REFUSED,
)
from states.definitions.model import AuditTypeDefinition, StateDef, TransitionDef
from states.definitions.return_checks import check_asking_participants, check_reopening
from states.definitions.role_checks import check_action_reminders, check_roles
from states.definitions.stage_names import FINAL_STAGES, Stage
from states.definitions.triggers import ESCALATION_TRIGGERS
from states.definitions.yaml_source import PathPart

Found = Iterator[tuple[tuple[PathPart, ...], str]]
WILDCARD = "*"


def check_graph(model: AuditTypeDefinition) -> list[tuple[tuple[PathPart, ...], str]]:
    problems = [
        *_check_states(model),
        *check_roles(model),
        *check_action_reminders(model),
        *_check_transitions(model),
        *_check_stages(model),
        *_check_sign_off_gates(model),
        *check_asking_participants(model),
        *check_reopening(model),
        *check_dissemination(model),
        *_check_escalation_triggers(model),
    ]
    if not problems:  # reachability only makes sense once every name resolves
        problems.extend(_check_reachability(model))
    return problems


def expand_sources(model: AuditTypeDefinition, sources: tuple[str, ...]) -> tuple[str, ...]:
    if sources == (WILDCARD,):
        # Each name once: a state declared twice is reported as such, and '*' does not
        # leave it twice.
        return tuple(dict.fromkeys(s.name for s in model.states if not s.final))
    return sources


def _check_states(model: AuditTypeDefinition) -> Found:
    seen: set[str] = set()
    for i, state in enumerate(model.states):
        if state.name in seen:
            yield ("states", i, "name"), f"state '{state.name}' is declared twice"
        seen.add(state.name)
        if state.initial and state.final:
            yield ("states", i), f"state '{state.name}' cannot be both initial and final"
        if state.final and state.deadline is not None:
            yield ("states", i, "deadline"), f"final state '{state.name}' cannot have a deadline"
    initial = list(dict.fromkeys(s.name for s in model.states if s.initial))
    if len(initial) != 1:
        found = ", ".join(initial) or "none"
        yield ("states",), f"exactly one state must be initial (found: {found})"
    if not model.final_states:
        yield ("states",), "at least one state must be final"


def _check_transitions(model: AuditTypeDefinition) -> Found:
    names = {s.name for s in model.states}
    finals = model.final_states
    triggers_from: dict[str, set[str]] = defaultdict(set)
    for i, t in enumerate(model.transitions):
        here = ("transitions", i)
        sources = t.sources
        if WILDCARD in sources and sources != (WILDCARD,):
            yield (*here, "source"), "'*' must stand alone as the source"
        for src in expand_sources(model, sources):
            if src not in names:
                yield (*here, "source"), f"source state '{src}' is not declared"
            elif src in finals:
                yield (*here, "source"), f"'{t.trigger}' leaves final state '{src}'"
            elif t.trigger in triggers_from[src]:
                yield (*here, "trigger"), f"trigger '{t.trigger}' is declared twice from '{src}'"
            triggers_from[src].add(t.trigger)
        yield from _check_destination(t.internal, t.dest, names, here)
        yield from _check_gates(model, t.gates, here)


def _check_destination(
    internal: bool, dest: str | None, names: set[str], here: tuple[PathPart, ...]
) -> Found:
    if internal and dest is not None:
        yield (*here, "dest"), "an internal transition keeps the state, so it takes no dest"
    elif not internal and dest is None:
        yield here, "dest is required (or mark the transition internal)"
    elif dest is not None and dest not in names:
        yield (*here, "dest"), f"destination state '{dest}' is not declared"


def _check_gates(model: AuditTypeDefinition, gates: list[str], here: tuple[PathPart, ...]) -> Found:
    for j, name in enumerate(gates):
        spec = DECLARED.get(name)
        if spec is None:
            yield (*here, "gates", j), f"gate '{name}' is not known (known: {', '.join(DECLARED)})"
        elif spec.needs is not None and getattr(model, spec.needs) is None:
            yield (*here, "gates", j), f"gate '{name}' needs '{spec.needs}' set in the definition"


# --- stages ----------------------------------------------------------------------------


def _check_stages(model: AuditTypeDefinition) -> Found:
    ways_out = _ways_out(model)
    for i, state in enumerate(model.states):
        gates = [gate for t in ways_out.get(state.name, []) for gate in t.gates]
        yield from _check_finality(i, state)
        yield from _check_stage_has_its_exit(i, state, gates)
        if state.stage is Stage.SIGNING_OFF:
            yield from _check_signing_off(model, i, state, gates)
        deadline = state.deadline
        if (
            deadline
            and deadline.owed_by == "sign_off_members"
            and state.stage is not Stage.SIGNING_OFF
        ):
            yield (
                ("states", i, "deadline", "owed_by"),
                f"state '{state.name}' is not at stage signing_off, so nothing there is owed by "
                "the sign-off members",
            )


def _ways_out(model: AuditTypeDefinition) -> dict[str, list[TransitionDef]]:
    """Each state's transitions to another state ("*" ones too); internal ones stay put."""
    found: dict[str, list[TransitionDef]] = defaultdict(list)
    for t in model.transitions:
        if not t.internal and t.dest is not None:
            for source in expand_sources(model, t.sources):
                found[source].append(t)
    return found


def _check_finality(i: int, state: StateDef) -> Found:
    if state.stage is None or state.final == (state.stage in FINAL_STAGES):
        return
    if state.final:
        yield (
            ("states", i, "stage"),
            f"final state '{state.name}' can only be at stage closed or withdrawn",
        )
    else:
        yield (
            ("states", i, "stage"),
            f"stage '{state.stage}' is for final states, and '{state.name}' is not final",
        )


# A stage the engine acts on, the gate its way out must carry, and what the stage does.
_EXIT_GATES = {
    Stage.COLLECTING_RETURNS: (ALL_RETURNS_IN, "collects returns"),
    Stage.MODERATING: (FINDINGS_MODERATED, "moderates findings"),
    Stage.SIGNING_OFF: (SIGN_OFF_QUORUM, "signs off"),
}


def _check_stage_has_its_exit(i: int, state: StateDef, gates: list[str]) -> Found:
    if state.stage not in _EXIT_GATES:
        return
    gate, doing = _EXIT_GATES[state.stage]
    if gates.count(gate) == 0:
        yield (
            ("states", i, "stage"),
            f"state '{state.name}' {doing}, so it needs a way out gated by {gate}",
        )


def _check_signing_off(
    model: AuditTypeDefinition, i: int, state: StateDef, gates: list[str]
) -> Found:
    # An e-mailed decision fires the one way out its gate names: two would be a guess.
    for gate, decision in ((SIGN_OFF_QUORUM, "an approval"), (SIGN_OFF_REFUSED, "a refusal")):
        if gates.count(gate) > 1:
            yield (
                ("states", i, "stage"),
                f"state '{state.name}' has {gates.count(gate)} ways out gated by {gate}; "
                f"{decision} must lead one way",
            )
    # A way out gated on sign-off already asks for the block, at the gate.
    if model.sign_off is None and not {SIGN_OFF_QUORUM, SIGN_OFF_REFUSED} & set(gates):
        yield (
            ("states", i, "stage"),
            f"state '{state.name}' signs off, so the definition needs a sign_off block "
            "(who signs off, and how many)",
        )


def _check_sign_off_gates(model: AuditTypeDefinition) -> Found:
    """Sign-off gates decide what the sign-off stage's decisions do, and nothing else."""
    stages = {s.name: s.stage for s in model.states}
    for i, t in enumerate(model.transitions):
        elsewhere = [
            s for s in expand_sources(model, t.sources) if stages.get(s) is not Stage.SIGNING_OFF
        ]
        if not (elsewhere or t.internal):
            continue
        why = "an internal transition" if t.internal else f"'{elsewhere[0]}' is not"
        for j, gate in enumerate(t.gates):
            if gate in (SIGN_OFF_QUORUM, SIGN_OFF_REFUSED):
                yield (
                    ("transitions", i, "gates", j),
                    f"gate '{gate}' may only gate a way out of a signing_off state ({why})",
                )


def _check_escalation_triggers(model: AuditTypeDefinition) -> Found:
    """Concerns are raised and answered by the engine's own services at any stage."""
    escalation_gates = {ESCALATION_OPEN, ESCALATIONS_ASSURED}
    if not any(
        t.trigger in ESCALATION_TRIGGERS or escalation_gates & set(t.gates)
        for t in model.transitions
    ):
        return
    open_states = [s.name for s in model.states if not s.final]
    for name in ESCALATION_TRIGGERS:
        found = [(i, t) for i, t in enumerate(model.transitions) if t.trigger == name]
        if not found:
            yield (
                ("transitions",),
                f"immediate-risk concerns need the trigger '{name}', internal and allowed from "
                "every open state",
            )
            continue
        for i, t in found:
            if not t.internal:
                yield (
                    ("transitions", i),
                    f"'{name}' must leave the state as it is: mark it internal",
                )
        allowed = {s for _, t in found for s in expand_sources(model, t.sources)}
        missing = [s for s in open_states if s not in allowed]
        if missing:
            yield (
                ("transitions", found[0][0], "source"),
                f"'{name}' must be allowed from every open state (source: '*'); "
                f"not from {', '.join(missing)}",
            )


# --- paths --------------------------------------------------------------------------------


def edges(model: AuditTypeDefinition, *, everywhere: bool = True) -> list[tuple[str, str]]:
    """(source, dest) of every way from one state to another. Without ``everywhere`` the
    ways out of every open state at once (withdrawal) are left out: they are no step of the
    audit's own process."""
    return [
        (src, t.dest)
        for t in model.transitions
        if t.dest is not None and not t.internal and (everywhere or t.sources != (WILDCARD,))
        for src in expand_sources(model, t.sources)
    ]


def reachable(
    model: AuditTypeDefinition,
    start: Iterable[str],
    *,
    backward: bool = False,
    everywhere: bool = True,
) -> frozenset[str]:
    """The states ``start`` leads to (or, ``backward``, those leading to it), itself included."""
    adjacency: dict[str, set[str]] = defaultdict(set)
    for src, dest in edges(model, everywhere=everywhere):
        if backward:
            adjacency[dest].add(src)
        else:
            adjacency[src].add(dest)
    seen = set(start)
    queue = deque(seen)
    while queue:
        for nxt in adjacency[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return frozenset(seen)


@dataclass(frozen=True)
class Step:
    trigger: str
    dest: str


def main_path(definition: AuditTypeDefinition, start: str, goal: str = "closed") -> list[Step]:
    """The longest loop-free path by the audit's own transitions to ``goal``: the full process,
    not a shortcut such as closing at triage. Definitions are small, so searching all is cheap.
    """
    moves = [
        (t.trigger, t.dest, expand_sources(definition, t.sources))
        for t in definition.transitions
        if not t.internal and t.dest is not None and t.sources != (WILDCARD,)
    ]
    best: list[Step] | None = None
    stack: list[tuple[str, list[Step], frozenset[str]]] = [(start, [], frozenset({start}))]
    while stack:
        state, path, seen = stack.pop()
        if state == goal:
            if best is None or len(path) > len(best):
                best = path
            continue
        for trigger, dest, sources in moves:
            if state in sources and dest not in seen:
                stack.append((dest, [*path, Step(trigger, dest)], seen | {dest}))
    if best is None:
        raise ValueError(f"no path from {start} to {goal}")
    return best


def _check_reachability(model: AuditTypeDefinition) -> Found:
    reached = reachable(model, {model.initial_state})
    finishing = reachable(model, model.final_states, backward=True)
    # Withdrawal (a way out of every open state at once, or into a withdrawn state) stops an
    # audit; it is no way to finish one, so every open state needs a way on without it.
    completing = reachable(
        model,
        {s.name for s in model.states if s.final and s.stage is not Stage.WITHDRAWN},
        backward=True,
        everywhere=False,
    )
    for i, state in enumerate(model.states):
        if state.name not in reached:
            yield (
                ("states", i, "name"),
                (f"state '{state.name}' cannot be reached from '{model.initial_state}'"),
            )
        elif state.name not in finishing:
            yield ("states", i, "name"), f"state '{state.name}' cannot reach any final state"
        elif not state.final and state.name not in completing:
            yield (
                ("states", i, "name"),
                f"state '{state.name}' can only end by withdrawal; give it a way on towards "
                "closing the audit",
            )
