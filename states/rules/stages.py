"""What the engine relies on about an audit type's states, derived once from their declared
stages (``states.definitions.stage_names``) and kept on the compiled type.

Returns are open in a ``collecting_returns`` state and moderation in a ``moderating`` one. The
report is written in the drafting stages (``drafting_report``, and ``further_assurance`` after
a refusal) and goes for sign-off in a ``signing_off`` state; every state that follows sign-off
on the audit's own path, drafting aside, has the report submitted (it is frozen there, and no
longer edited). The way out of a signing-off state gated by ``sign_off_quorum`` approves the
report, and every state it leads to is after sign-off: where products are made and actions
added. The way out gated by ``sign_off_refused`` refuses it. The load-time checks
(``states.definitions.graph``) keep those gates on signing-off states only, so adding a gate to
a transition cannot silently change which e-mails go out. A type with no sign-off lets the
chair write, freeze and publish at any open state.

An audit keeps the definition it started with; one stored before states declared their stage
has them inferred here from its gates, as the engine used to, when it is read back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from states.definitions.gate_names import (
    ALL_RETURNS_IN,
    FINDINGS_MODERATED,
    SIGN_OFF_QUORUM,
    SIGN_OFF_REFUSED,
)
from states.definitions.graph import WILDCARD, expand_sources, reachable
from states.definitions.model import AuditTypeDefinition, StateDef, TransitionDef
from states.definitions.stage_names import DRAFTING_STAGES, Stage


@dataclass(frozen=True)
class Stages:
    open_states: frozenset[str]
    collecting: frozenset[str]  # returns are open
    moderating: frozenset[str]  # findings are moderated
    signing_off: frozenset[str]
    drafting: frozenset[str]  # the chair writes the report
    submitted: frozenset[str]  # sign-off and every state after it, drafting states aside
    after_sign_off: frozenset[str]  # every open state after an approval (or all, without one)
    closing: frozenset[str]  # final, or with its own step to a final state
    approvals: Mapping[str, str]  # signing-off state -> the trigger that approves
    refusals: Mapping[str, str]  # signing-off state -> the trigger that refuses

    @property
    def has_sign_off(self) -> bool:
        return bool(self.signing_off)

    @property
    def refusal_triggers(self) -> frozenset[str]:
        return frozenset(self.refusals.values())

    def collects_returns(self, state: str) -> bool:
        return state in self.collecting

    def moderates(self, state: str) -> bool:
        return state in self.moderating

    def can_edit(self, state: str) -> bool:
        return state in self.open_states and state not in self.submitted

    def can_freeze(self, state: str) -> bool:
        return state in (self.submitted if self.has_sign_off else self.open_states)

    def can_publish(self, state: str) -> bool:
        """Products, dissemination and actions come from the signed-off report only."""
        return state in self.after_sign_off

    def can_carry_forward(self, state: str) -> bool:
        """Unfinished actions move on once the audit is closing or closed."""
        return state in self.closing

    def approves(self, source: str, trigger: str) -> bool:
        """Whether firing ``trigger`` from ``source`` signs the report off."""
        return self.approvals.get(source) == trigger

    def refuses(self, source: str, trigger: str) -> bool:
        return self.refusals.get(source) == trigger


def derive(definition: AuditTypeDefinition) -> Stages:
    def at(*stages: Stage) -> frozenset[str]:
        return frozenset(s.name for s in definition.states if s.stage in stages)

    open_states = frozenset(s.name for s in definition.states if not s.final)
    signing_off = at(Stage.SIGNING_OFF)
    drafting = at(*DRAFTING_STAGES)
    approvals = _ways_out(definition, signing_off, SIGN_OFF_QUORUM)
    approved = {t.dest for t in approvals.values() if t.dest is not None}

    def after(start: set[str] | frozenset[str]) -> frozenset[str]:
        # Along the audit's own path: withdrawal from anywhere follows no sign-off.
        return reachable(definition, start, everywhere=False) & open_states

    return Stages(
        open_states=open_states,
        collecting=at(Stage.COLLECTING_RETURNS),
        moderating=at(Stage.MODERATING),
        signing_off=signing_off,
        drafting=drafting,
        submitted=after(signing_off) - drafting,
        after_sign_off=after(approved) if signing_off else open_states,
        closing=_closing(definition),
        approvals={state: t.trigger for state, t in approvals.items()},
        refusals={
            state: t.trigger
            for state, t in _ways_out(definition, signing_off, SIGN_OFF_REFUSED).items()
        },
    )


def _ways_out(
    definition: AuditTypeDefinition, states: frozenset[str], gate: str
) -> dict[str, TransitionDef]:
    """State -> its way out gated by ``gate`` (the load checks allow one each)."""
    return {
        source: t
        for t in definition.transitions
        if gate in t.gates and not t.internal and t.dest is not None
        for source in expand_sources(definition, t.sources)
        if source in states
    }


def _closing(definition: AuditTypeDefinition) -> frozenset[str]:
    """Final states, and those with their own step to one (impact monitoring, say): an audit
    there is closed or closing. Withdrawal from anywhere does not count."""
    final = definition.final_states
    closing = {
        source
        for t in definition.transitions
        if t.dest in final and t.sources != (WILDCARD,)
        for source in t.sources
    }
    return frozenset(closing | final)


# --- definitions stored before states declared their stage ----------------------------------


def declares_stages(snapshot_json: str) -> bool:
    """Whether a stored definition was written since states declare a stage: every state
    then carries the key, declared or not (snapshots keep every field)."""
    states = json.loads(snapshot_json).get("states", [])
    return all("stage" in state for state in states)


def with_inferred_stages(definition: AuditTypeDefinition) -> AuditTypeDefinition:
    """The stages the engine used to read from gates, for a definition that declares none: a
    state waiting on every return collects them, one waiting on moderation moderates, one
    waiting on the quorum signs off, and the states leading into sign-off draft the report
    (further assurance where a refusal leads)."""
    exits: dict[str, set[str]] = {}
    for t in definition.transitions:
        if t.sources != (WILDCARD,) and not t.internal and t.dest is not None:
            for source in t.sources:
                exits.setdefault(source, set()).update(t.gates)
    signing = {s for s, gates in exits.items() if SIGN_OFF_QUORUM in gates}
    refused_to = {t.dest for t in definition.transitions if SIGN_OFF_REFUSED in t.gates and t.dest}
    into_sign_off = {
        s
        for t in definition.transitions
        if t.dest in signing and t.sources != (WILDCARD,)
        for s in t.sources
    }

    def inferred(state: StateDef) -> Stage | None:
        gates = exits.get(state.name, set())
        if state.name in signing:
            return Stage.SIGNING_OFF
        if ALL_RETURNS_IN in gates:
            return Stage.COLLECTING_RETURNS
        if FINDINGS_MODERATED in gates:
            return Stage.MODERATING
        if state.name in into_sign_off:
            return Stage.FURTHER_ASSURANCE if state.name in refused_to else Stage.DRAFTING_REPORT
        return None

    states = [s.model_copy(update={"stage": inferred(s)}) for s in definition.states]
    return definition.model_copy(update={"states": states})
