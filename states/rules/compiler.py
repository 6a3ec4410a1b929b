"""Compile a validated definition into one shared ``transitions`` machine per audit type.

The machine holds no models: each trigger runs ``machine.events[name].trigger(model)`` on a
short-lived ``AuditModel`` restored from the audit's row, so one compiled machine serves every
thread without ``add_model``/``remove_model`` churn. ``auto_transitions=False`` removes the
``to_<state>()`` bypass; every transition carries one condition that evaluates all its gates
and raises ``GateBlocked`` listing each failure (the library alone would just return False).
Besides the gates its YAML names, every transition checks the implicit ones, and every way
into a signing-off state checks that the summary report is written (``report_written``):
submitting freezes the report, so no definition can send an unwritten one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from transitions import Machine, MachineError

from states.definitions.gate_names import IMPLICIT_GATES, REPORT_WRITTEN
from states.definitions.graph import expand_sources
from states.definitions.model import AuditTypeDefinition, TransitionDef
from states.errors import GateBlocked, GateFailure, TransitionNotAllowed
from states.rules.gates import GateContext, failures
from states.rules.stages import Stages
from states.rules.stages import derive as derive_stages


@dataclass
class AuditModel:
    """The object the machine moves: a state plus the gate context of the trigger under way."""

    reference: str
    state: str
    context: GateContext | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CompiledType:
    definition: AuditTypeDefinition
    content_hash: str
    machine: Machine
    # (source state, trigger) -> the declared transition, for gate status and context building
    by_source: dict[tuple[str, str], TransitionDef]
    # What each state is to the engine, derived once from the declared stages.
    stages: Stages

    @property
    def audit_type(self) -> str:
        return self.definition.audit_type

    def allowed_triggers(self, state: str) -> list[str]:
        return [trigger for (src, trigger) in self.by_source if src == state]

    def transition(self, *, reference: str, state: str, trigger: str) -> TransitionDef:
        found = self.by_source.get((state, trigger))
        if found is None:
            raise TransitionNotAllowed(
                audit=reference, trigger=trigger, state=state, allowed=self.allowed_triggers(state)
            )
        return found

    def gate_failures(self, context: GateContext) -> list[GateFailure]:
        """Evaluate without firing, e.g. to show what stands between an audit and its next step."""
        return failures(context, self.gates_of(context.transition))

    def gates_of(self, transition: TransitionDef) -> tuple[str, ...]:
        """Every gate ``transition`` checks, in order (what a walker prepares for)."""
        return gate_names(transition, self.stages)

    def _not_allowed(self, model: AuditModel, trigger: str) -> TransitionNotAllowed:
        return TransitionNotAllowed(
            audit=model.reference,
            trigger=trigger,
            state=model.state,
            allowed=self.allowed_triggers(model.state),
        )

    def fire(self, model: AuditModel, trigger: str, context: GateContext) -> str:
        """Run the trigger through the machine; returns the new state (unchanged if internal)."""
        event = self.machine.events.get(trigger)
        if event is None:
            raise self._not_allowed(model, trigger)
        model.context = context
        try:
            event.trigger(model)
        except MachineError as exc:
            raise self._not_allowed(model, trigger) from exc
        finally:
            model.context = None
        return model.state


def gate_names(transition: TransitionDef, stages: Stages) -> tuple[str, ...]:
    submits = not transition.internal and transition.dest in stages.signing_off
    derived = (REPORT_WRITTEN,) if submits and REPORT_WRITTEN not in transition.gates else ()
    return (*IMPLICIT_GATES, *transition.gates, *derived)


def _condition(transition: TransitionDef, stages: Stages) -> Callable[[Any], bool]:
    names = gate_names(transition, stages)

    def check_gates(event_data: Any) -> bool:
        model: AuditModel = event_data.model
        context = model.context
        assert context is not None, "AuditModel.context must be set by CompiledType.fire"
        failed = failures(context, names)
        if failed:
            raise GateBlocked(audit=model.reference, trigger=transition.trigger, failures=failed)
        return True

    return check_gates


def compile_definition(definition: AuditTypeDefinition) -> CompiledType:
    """Build the machine; the definition must already have passed the loader's checks."""
    stages = derive_stages(definition)
    by_source: dict[tuple[str, str], TransitionDef] = {}
    specs: list[dict[str, Any]] = []
    for t in definition.transitions:
        sources = list(expand_sources(definition, t.sources))
        for src in sources:
            by_source[(src, t.trigger)] = t
        specs.append(
            {
                "trigger": t.trigger,
                "source": sources,
                "dest": None if t.internal else t.dest,
                "conditions": [_condition(t, stages)],
            }
        )
    machine = Machine(
        model=None,
        states=[s.name for s in definition.states],
        transitions=specs,
        initial=definition.initial_state,
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
        name=definition.audit_type,
    )
    return CompiledType(definition, definition.content_hash(), machine, by_source, stages)
