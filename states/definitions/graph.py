"""Whole-graph rules for an audit type, checked at load time, never at run time.

Each check yields ``(path, sentence)`` pairs; the loader turns paths into line numbers.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterator

from states.definitions.gate_names import DECLARED
from states.definitions.model import AuditTypeDefinition, ReminderLadder
from states.definitions.roles import ACTION_OWNER_ROLES, ROLES
from states.definitions.yaml_source import PathPart

Found = Iterator[tuple[tuple[PathPart, ...], str]]
WILDCARD = "*"


def check_graph(model: AuditTypeDefinition) -> list[tuple[tuple[PathPart, ...], str]]:
    problems = [
        *_check_states(model),
        *_check_roles(model),
        *_check_action_reminders(model),
        *_check_transitions(model),
    ]
    if not problems:  # reachability only makes sense once every name resolves
        problems.extend(_check_reachability(model))
    return problems


def expand_sources(model: AuditTypeDefinition, sources: tuple[str, ...]) -> tuple[str, ...]:
    if sources == (WILDCARD,):
        return tuple(s.name for s in model.states if not s.final)
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
    initial = [s.name for s in model.states if s.initial]
    if len(initial) != 1:
        found = ", ".join(initial) or "none"
        yield ("states",), f"exactly one state must be initial (found: {found})"
    if not model.final_states:
        yield ("states",), "at least one state must be final"


def _role_references(model: AuditTypeDefinition) -> Iterator[tuple[tuple[PathPart, ...], str]]:
    """Every place a definition names a role, with its path in the file."""
    for i, t in enumerate(model.transitions):
        for j, role in enumerate(t.roles):
            yield ("transitions", i, "roles", j), role
    if model.sign_off is not None:
        for j, role in enumerate(model.sign_off.roles):
            yield ("sign_off", "roles", j), role
    if model.immediate_risk is not None:
        for j, role in enumerate(model.immediate_risk.notify):
            yield ("immediate_risk", "notify", j), role
    yield from _reminder_role_references(model)


def _reminder_role_references(
    model: AuditTypeDefinition,
) -> Iterator[tuple[tuple[PathPart, ...], str]]:
    for i, state in enumerate(model.states):
        ladder = state.deadline.reminders if state.deadline else None
        if ladder is not None:
            yield from _ladder_roles(ladder, ("states", i, "deadline", "reminders"))
    if model.action_reminders is not None:
        yield from _ladder_roles(model.action_reminders, ("action_reminders",))


def _ladder_roles(
    ladder: ReminderLadder, base: tuple[PathPart, ...]
) -> Iterator[tuple[tuple[PathPart, ...], str]]:
    for j, role in enumerate(ladder.remind):
        yield (*base, "remind", j), role
    for k, step in enumerate(ladder.overdue):
        for j, role in enumerate(step.notify):
            yield (*base, "overdue", k, "notify", j), role


def _check_action_reminders(model: AuditTypeDefinition) -> Found:
    """An action is the owner agency's to do, so its reminders must reach the agency."""
    ladder = model.action_reminders
    if ladder is not None and not set(ladder.remind) & ACTION_OWNER_ROLES:
        yield (
            ("action_reminders", "remind"),
            "an action's reminders must go to its agency: remind agency_lead or strategic_lead",
        )


def _check_roles(model: AuditTypeDefinition) -> Found:
    for i, role in enumerate(model.roles):
        if role not in ROLES:
            yield ("roles", i), f"'{role}' is not a role of the partnership ({', '.join(ROLES)})"
    declared = set(model.roles)
    for path, role in _role_references(model):
        if role not in declared:
            yield path, f"role '{role}' is not declared in roles"


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


def _edges(model: AuditTypeDefinition) -> list[tuple[str, str]]:
    return [
        (src, t.dest)
        for t in model.transitions
        if t.dest is not None
        for src in expand_sources(model, t.sources)
    ]


def _reach(start: set[str], adjacency: dict[str, set[str]]) -> set[str]:
    seen = set(start)
    queue = deque(start)
    while queue:
        for nxt in adjacency[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _check_reachability(model: AuditTypeDefinition) -> Found:
    forward: dict[str, set[str]] = defaultdict(set)
    backward: dict[str, set[str]] = defaultdict(set)
    for src, dest in _edges(model):
        forward[src].add(dest)
        backward[dest].add(src)
    reachable = _reach({model.initial_state}, forward)
    finishing = _reach(set(model.final_states), backward)
    for i, state in enumerate(model.states):
        if state.name not in reachable:
            yield (
                ("states", i, "name"),
                (f"state '{state.name}' cannot be reached from '{model.initial_state}'"),
            )
        elif state.name not in finishing:
            yield ("states", i, "name"), f"state '{state.name}' cannot reach any final state"
