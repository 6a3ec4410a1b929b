"""Where a definition asks the agencies taking part for work, and what it may ask of them.

A deadline owed by the participants asks each agency's leads for something, by e-mail and by
reminder: their returns, in a state that collects them, or, on a type an agency raises, its
response written as the report (``drafting_report`` or ``further_assurance``). Anywhere else
nothing could be done about what they were asked for. A transition that reopens returns sends
the returns of a collecting state's last visit back to their agencies, so it must lead into
one.

Part of the load-time checks ``states.definitions.graph.check_graph`` runs.
"""

from __future__ import annotations

from collections.abc import Iterator

from states.definitions.model import AuditTypeDefinition
from states.definitions.stage_names import DRAFTING_STAGES, Stage
from states.definitions.yaml_source import PathPart

Found = Iterator[tuple[tuple[PathPart, ...], str]]


def check_asking_participants(model: AuditTypeDefinition) -> Found:
    # Drafting stages are allowed whether or not the type declares ``raised_by_agency``: an
    # exception audit stored before types declared it must still load.
    allowed = {Stage.COLLECTING_RETURNS, *DRAFTING_STAGES}
    for i, state in enumerate(model.states):
        deadline = state.deadline
        if deadline is None or deadline.owed_by != "participants" or state.stage in allowed:
            continue
        yield (
            ("states", i, "deadline", "owed_by"),
            f"state '{state.name}' has work owed by the participants, so it must collect "
            "returns (stage collecting_returns) or be where an agency writes its response "
            "(drafting_report or further_assurance)",
        )


def check_reopening(model: AuditTypeDefinition) -> Found:
    stages = {s.name: s.stage for s in model.states}
    for i, t in enumerate(model.transitions):
        if t.reopens_returns and (
            t.dest is None or stages.get(t.dest) is not Stage.COLLECTING_RETURNS
        ):
            yield (
                ("transitions", i, "reopens_returns"),
                f"'{t.trigger}' reopens returns, so it must lead into a state that collects "
                "returns (stage collecting_returns)",
            )
