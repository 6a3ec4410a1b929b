"""An audit's task list: the parts of its cycle in order (terms of reference, sample,
auditors, returns, deep-dive sample, moderation, feedback, report, sign-off, sharing, actions,
closing), which of them its type has, and where each stands, read from the type's definition
and where the audit has been.

Each part is the work done in some of the type's states, its span, found from what the
states declare and what their ways out check: the terms of reference are agreed where a way
out checks ``terms_recorded``, the sample is drawn where one checks ``cases_within_window``,
auditors are assigned where one checks ``auditors_independent``, and a deep-dive sample is
taken where one checks ``deep_dive_selected``; returns are collected (and waited between
rounds) in the collecting stages; moderation covers the moderating stages, and feedback the
stages giving each setting or agency its own; the report is written in the drafting stages;
sign-off covers signing off and any further assurance; sharing is the disseminating stage;
actions run from sign-off to closing; and the audit is closed from the states with their own
step to a closed state. A type with no such states has no such part.

Where a part stands is read along the audit's own path (the longest way from the first state
to a closed one, as ``states.definitions.graph.main_path`` finds it): a part is being worked on
while the audit is in its span, done once the audit has been there and gone on past it,
passed by when the audit went past it without going there (an exception closed at triage),
and otherwise not yet possible, unless its work has begun ahead of its stage. A loop back
(sign-off refused, more evidence asked for) is simply the audit being at an earlier state
again. A withdrawn audit is judged where it stood when withdrawn, and what was not done then
is stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from states.definitions.gate_names import (
    ACTIONS_COMPLETE,
    AUDITORS_INDEPENDENT,
    CASES_WITHIN_WINDOW,
    DEEP_DIVE_SELECTED,
    DISCUSSION_HELD,
    TERMS_RECORDED,
)
from states.definitions.graph import WILDCARD, edges, expand_sources, main_path
from states.definitions.model import AuditTypeDefinition
from states.definitions.stage_names import Stage
from states.rules.stages import Stages


class Part(StrEnum):
    """A part of an audit's cycle, in the order an audit meets them."""

    TERMS = "terms"
    SAMPLE = "sample"
    AUDITORS = "auditors"
    RETURNS = "returns"
    DEEP_DIVE = "deep-dive"
    MODERATION = "moderation"
    # The multi-agency audit discussion of the case audits: in types whose moderation waits
    # for it (gate ``discussion_held``), and offered in any type that audits a sample of cases.
    MEETING = "meeting"
    FEEDBACK = "feedback"
    REPORT = "report"
    SIGN_OFF = "sign-off"
    SHARING = "sharing"
    ACTIONS = "actions"
    CLOSE = "close"

    @property
    def heading(self) -> str:
        """The part's name in the task list (not ``title``: that is ``str.title``)."""
        return _TITLES[self]


_TITLES = {
    Part.TERMS: "Terms of reference",
    Part.SAMPLE: "Sample",
    Part.AUDITORS: "Auditors",
    Part.RETURNS: "Returns",
    Part.DEEP_DIVE: "Deep-dive sample",
    Part.MODERATION: "Moderation",
    Part.MEETING: "Audit discussion",
    Part.FEEDBACK: "Feedback to each setting or agency",
    Part.REPORT: "Report",
    Part.SIGN_OFF: "Sign-off",
    Part.SHARING: "Sharing",
    Part.ACTIONS: "Actions",
    Part.CLOSE: "Close",
}


class TaskStatus(StrEnum):
    COMPLETED = "completed"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"
    CANNOT_START = "cannot_start"
    NOT_NEEDED = "not_needed"  # the type has no such part
    PASSED_BY = "passed_by"  # the audit went on without it (an exception closed at triage)
    STOPPED = "stopped"  # the audit was withdrawn before it was done

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    TaskStatus.COMPLETED: "Completed",
    TaskStatus.IN_PROGRESS: "In progress",
    TaskStatus.NOT_STARTED: "Not started",
    TaskStatus.CANNOT_START: "Cannot start yet",
    TaskStatus.NOT_NEEDED: "Not needed for this type",
    TaskStatus.PASSED_BY: "Not needed for this audit",
    TaskStatus.STOPPED: "Not done: the audit was withdrawn",
}
# Parts a step opens for others to work in (agencies return, auditors moderate, members
# decide): in progress from the moment the audit enters them.
OPENED = frozenset({Part.RETURNS, Part.MODERATION, Part.SIGN_OFF})
# Parts a type may offer without waiting for them: passed by, not completed, when the audit
# moved on with no work recorded (a type that waits for the discussion cannot move on so).
OPTIONAL = frozenset({Part.MEETING})
_ENDED = frozenset({TaskStatus.COMPLETED, TaskStatus.NOT_NEEDED, TaskStatus.PASSED_BY})


@dataclass(frozen=True)
class Task:
    part: Part
    status: TaskStatus
    states: tuple[str, ...]  # the titles of the states where its work is done, in order


def spans(definition: AuditTypeDefinition, stages: Stages) -> dict[Part, frozenset[str]]:
    """Each part's states (empty for a part the type does not have)."""

    def at(*wanted: Stage) -> frozenset[str]:
        return frozenset(s.name for s in definition.states if s.stage in wanted)

    return {
        Part.TERMS: _gated_sources(definition, TERMS_RECORDED),
        Part.SAMPLE: _gated_sources(definition, CASES_WITHIN_WINDOW),
        Part.AUDITORS: _gated_sources(definition, AUDITORS_INDEPENDENT),
        Part.RETURNS: at(Stage.COLLECTING_RETURNS, Stage.BETWEEN_ROUNDS),
        Part.DEEP_DIVE: _gated_sources(definition, DEEP_DIVE_SELECTED),
        Part.MODERATION: at(Stage.MODERATING),
        Part.MEETING: _meeting_span(definition, at(Stage.MODERATING)),
        Part.FEEDBACK: at(Stage.GIVING_FEEDBACK),
        Part.REPORT: stages.drafting,
        Part.SIGN_OFF: stages.signing_off | at(Stage.FURTHER_ASSURANCE),
        Part.SHARING: at(Stage.DISSEMINATING),
        Part.ACTIONS: _actions_span(definition, stages, at),
        Part.CLOSE: stages.closing - definition.final_states,
    }


def _gated_sources(definition: AuditTypeDefinition, gate: str) -> frozenset[str]:
    """The states with a way out (of their own, not withdrawal) that checks ``gate``."""
    return frozenset(
        source
        for t in definition.transitions
        if gate in t.gates and not t.internal and t.sources != (WILDCARD,)
        for source in expand_sources(definition, t.sources)
    )


def _meeting_span(definition: AuditTypeDefinition, moderating: frozenset[str]) -> frozenset[str]:
    """Where moderation waits for the discussion, the states before that wait; otherwise a
    type that audits a sample of cases may hold one while it moderates, and one that does not
    has nothing to discuss."""
    waiting = _gated_sources(definition, DISCUSSION_HELD)
    if waiting:
        return waiting
    return moderating if _gated_sources(definition, CASES_WITHIN_WINDOW) else frozenset()


def _actions_span(
    definition: AuditTypeDefinition, stages: Stages, at: Callable[..., frozenset[str]]
) -> frozenset[str]:
    """Actions are agreed, evidenced and accepted from sign-off until the audit closes, in a
    type that agrees actions or waits on them to close."""
    gated = any(ACTIONS_COMPLETE in t.gates for t in definition.transitions)
    if not (gated or at(Stage.AGREEING_ACTIONS)):
        return frozenset()
    working = at(Stage.AGREEING_ACTIONS, Stage.DISSEMINATING, Stage.MONITORING_IMPACT)
    return (stages.after_sign_off & working) or stages.after_sign_off


def task_list(
    definition: AuditTypeDefinition,
    stages: Stages,
    *,
    entered: Sequence[str],
    begun: frozenset[Part],
) -> tuple[Task, ...]:
    """Every part in order with where it stands. ``entered`` is each state the audit entered,
    oldest first (its first state first); ``begun`` the parts with work recorded."""
    path = _Path(definition)
    state = entered[-1]
    withdrawn = state in definition.final_states and state not in path.closed
    # Withdrawn: judged where it stood when withdrawn.
    position = next((s for s in reversed(entered) if s not in path.withdrawn), state)
    visited = frozenset(entered)
    titles = {s.name: s.title for s in definition.states}
    found = []
    for part, span in spans(definition, stages).items():
        status = path.status(part, span, position=position, visited=visited, begun=begun)
        if withdrawn and status not in _ENDED:
            status = TaskStatus.STOPPED
        shown = tuple(titles[s] for s in sorted(span, key=path.rank.__getitem__))
        found.append(Task(part, status, shown))
    return tuple(found)


class _Path:
    """The type's states ranked along the audit's own path; a state off it (further
    assurance) ranks just after the state that leads to it."""

    def __init__(self, definition: AuditTypeDefinition) -> None:
        final = definition.final_states
        ways = edges(definition, everywhere=False)
        # Closed: a final state the audit's own steps reach; withdrawn: one only '*' reaches.
        self.closed = frozenset(dest for _, dest in ways if dest in final)
        self.withdrawn = final - self.closed
        goal = next(s.name for s in definition.states if s.name in (self.closed or final))
        start = definition.initial_state
        steps = main_path(definition, start, goal)
        self.on_path = frozenset({start, *(step.dest for step in steps)})
        self.rank: dict[str, float] = {start: 0.0}
        self.rank.update({step.dest: float(i) for i, step in enumerate(steps, start=1)})
        self._rank_the_rest(definition, ways)

    def _rank_the_rest(self, definition: AuditTypeDefinition, ways: list[tuple[str, str]]) -> None:
        changed = True
        while changed:
            changed = False
            for source, dest in ways:
                if dest not in self.rank and source in self.rank:
                    self.rank[dest] = self.rank[source] + 0.5
                    changed = True
        for state in definition.states:  # withdrawal's own destination, never a position
            self.rank.setdefault(state.name, float("inf"))

    def status(
        self,
        part: Part,
        span: frozenset[str],
        *,
        position: str,
        visited: frozenset[str],
        begun: frozenset[Part],
    ) -> TaskStatus:
        if not span:
            return TaskStatus.NOT_NEEDED
        if position in span:
            opened = part in OPENED or part in begun
            return TaskStatus.IN_PROGRESS if opened else TaskStatus.NOT_STARTED
        along = [self.rank[s] for s in span if s in self.on_path] or [self.rank[s] for s in span]
        if self.rank[position] > max(along):
            if part in OPTIONAL and part not in begun:  # moved on without it
                return TaskStatus.PASSED_BY
            return TaskStatus.COMPLETED if span & visited else TaskStatus.PASSED_BY
        return TaskStatus.IN_PROGRESS if part in begun else TaskStatus.CANNOT_START
