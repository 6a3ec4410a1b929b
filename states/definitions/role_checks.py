"""Where a definition names roles, and the rules they follow: every role is one of the
partnership's, declared in the definition, and an action's reminders reach its owner agency.

Part of the load-time checks ``states.definitions.graph.check_graph`` runs.
"""

from __future__ import annotations

from collections.abc import Iterator

from states.definitions.model import AuditTypeDefinition, ReminderLadder
from states.definitions.roles import ACTION_OWNER_ROLES, ROLES
from states.definitions.yaml_source import PathPart

Found = Iterator[tuple[tuple[PathPart, ...], str]]


def _role_references(model: AuditTypeDefinition) -> Iterator[tuple[tuple[PathPart, ...], str]]:
    """Every place a definition names a role, with its path in the file."""
    for i, t in enumerate(model.transitions):
        for j, role in enumerate(t.roles):
            yield ("transitions", i, "roles", j), role
    if model.sign_off is not None:
        for j, role in enumerate(model.sign_off.roles or ()):
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


def check_action_reminders(model: AuditTypeDefinition) -> Found:
    """An action is the owner agency's to do, so its reminders must reach the agency."""
    ladder = model.action_reminders
    if ladder is not None and not set(ladder.remind) & ACTION_OWNER_ROLES:
        yield (
            ("action_reminders", "remind"),
            "an action's reminders must go to its agency: remind agency_lead or strategic_lead",
        )


def check_roles(model: AuditTypeDefinition) -> Found:
    for i, role in enumerate(model.roles):
        if role not in ROLES:
            yield ("roles", i), f"'{role}' is not a role of the partnership ({', '.join(ROLES)})"
    declared = set(model.roles)
    for path, role in _role_references(model):
        if role not in declared:
            yield path, f"role '{role}' is not declared in roles"
