"""The steps a person takes an audit through by hand, as the stages page offers them: which of
a type's transitions they are, whether each asks for a reason, and a refusal in plain words.

Internal transitions (raising an immediate-risk concern, recording assurance) have pages of
their own, and withdrawal (a way from every open state to a final state no step of the
audit's own reaches) asks "are you sure" on its own page; every other transition is a step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum

from states.definitions.gate_names import REASON_GIVEN, ROLE_ALLOWED
from states.definitions.graph import WILDCARD, edges
from states.definitions.model import AuditTypeDefinition, TransitionDef
from states.errors import GateFailure

# The engine's own account: it takes steps on a clock, never through a page.
ENGINE_ROLE = "system"


class ReasonAsked(StrEnum):
    """Every step may carry a reason into the history; some must."""

    REQUIRED = "required"
    OPTIONAL = "optional"


def reason_asked(transition: TransitionDef) -> ReasonAsked:
    return ReasonAsked.REQUIRED if transition.requires_reason else ReasonAsked.OPTIONAL


def is_withdrawal(definition: AuditTypeDefinition, transition: TransitionDef) -> bool:
    """A way out of every open state into a final state none of the audit's own steps reach."""
    if transition.internal or transition.sources != (WILDCARD,):
        return False
    closed = {dest for _, dest in edges(definition, everywhere=False)}
    return transition.dest in definition.final_states - closed


def is_step(definition: AuditTypeDefinition, transition: TransitionDef) -> bool:
    return not transition.internal and not is_withdrawal(definition, transition)


def who_may(transition: TransitionDef) -> tuple[str, ...]:
    """The roles that may take the step through a page (the engine's own account aside)."""
    return tuple(role for role in transition.roles if role != ENGINE_ROLE)


def waiting_on(found: Iterable[GateFailure]) -> tuple[GateFailure, ...]:
    """What stands in the step's way for anyone who may take it: not who is asking, and not
    the reason, which is given as the step is taken."""
    return tuple(f for f in found if f.gate not in (ROLE_ALLOWED, REASON_GIVEN))


def reason_missing(found: Sequence[GateFailure]) -> bool:
    return any(f.gate == REASON_GIVEN for f in found)


def refused_sentence(title: str, found: Sequence[GateFailure]) -> str:
    """A blocked step in one plain sentence: "Could not close the audit: 2 actions are still
    open; 1 immediate-risk concern has no assurance yet." """
    doing = title[:1].lower() + title[1:]
    return f"Could not {doing}: {'; '.join(f.reason for f in found)}."
