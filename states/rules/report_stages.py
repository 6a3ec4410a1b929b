"""Where in its life an audit's summary report is, worked out from the audit type's own graph.

Definitions name no "report" states, and each type names its states differently, so the
stages come from the gates: the state whose exit needs ``sign_off_quorum`` is where the
report awaits sign-off; the states that lead into it are where the chair writes (report
drafting, and further assurance after a refusal); a trigger gated by ``sign_off_refused``
sends the report back. A type with no sign-off lets the chair write and freeze at any open
state.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from states.definitions.graph import WILDCARD
from states.definitions.model import AuditTypeDefinition

QUORUM = "sign_off_quorum"
REFUSED = "sign_off_refused"


@dataclass(frozen=True)
class ReportStages:
    open_states: frozenset[str]
    drafting: frozenset[str]  # states that lead into sign-off: the chair writes here
    submitted: frozenset[str]  # sign-off and every state after it, drafting states aside
    signed_off: frozenset[str]  # every state after a successful sign-off
    refusals: frozenset[str]  # triggers that send the report back for further assurance

    @property
    def has_sign_off(self) -> bool:
        return bool(self.submitted)

    def can_edit(self, state: str) -> bool:
        return state in self.open_states and state not in self.submitted

    def can_freeze(self, state: str) -> bool:
        return state in (self.submitted if self.has_sign_off else self.open_states)

    def can_publish(self, state: str) -> bool:
        """Products and dissemination come from the signed-off report only."""
        return state in (self.signed_off if self.has_sign_off else self.open_states)


def report_stages(definition: AuditTypeDefinition) -> ReportStages:
    moves = [
        (t.trigger, t.sources, t.dest, t.gates)
        for t in definition.transitions
        if not t.internal and t.dest is not None and t.sources != (WILDCARD,)
    ]
    sign_off = {s for _, sources, _, gates in moves if QUORUM in gates for s in sources}
    approved = {dest for _, _, dest, gates in moves if QUORUM in gates and dest is not None}
    drafting = {s for _, sources, dest, _ in moves if dest in sign_off for s in sources}
    drafting -= sign_off
    edges = {(s, dest) for _, sources, dest, _ in moves if dest is not None for s in sources}
    open_states = frozenset(s.name for s in definition.states if not s.final)
    return ReportStages(
        open_states=open_states,
        drafting=frozenset(drafting),
        submitted=frozenset((_reachable(edges, sign_off) - drafting) & open_states),
        signed_off=frozenset(_reachable(edges, approved) & open_states),
        refusals=frozenset(trigger for trigger, _, _, gates in moves if REFUSED in gates),
    )


def _reachable(edges: set[tuple[str, str]], start: set[str]) -> set[str]:
    seen = set(start)
    queue = deque(start)
    while queue:
        state = queue.popleft()
        for source, dest in edges:
            if source == state and dest not in seen:
                seen.add(dest)
                queue.append(dest)
    return seen
