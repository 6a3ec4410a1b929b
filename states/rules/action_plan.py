"""Action plans' rules: the statuses an action moves through, who may move it, and its
reminder ladder. How actions and their deadlines are stored is ``states.persistence.action_plan``.

An action moves open → in progress → evidence submitted → accepted; the learning hub can send
evidence back (to in progress), the chair or coordinator can withdraw it, and carrying it into
the next cycle of its theme closes it as carried forward. Actions are added once the report is
signed off, and carried forward once the audit is closing (``states.rules.stages``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Literal

from states.definitions.model import AuditTypeDefinition, DeadlineDef, OverdueStep, ReminderLadder
from states.definitions.roles import ACTION_OWNER_ROLES
from states.rules.calendar import WorkingCalendar
from states.rules.reminders import ESCALATION_ROLES, Rung, ladder

Status = Literal[
    "open", "in_progress", "evidence_submitted", "accepted", "carried_forward", "withdrawn"
]
STATUSES: tuple[Status, ...] = (
    "open",
    "in_progress",
    "evidence_submitted",
    "accepted",
    "carried_forward",
    "withdrawn",
)
# Still to be accepted: these keep an audit in impact monitoring (the actions_complete gate).
OUTSTANDING: tuple[Status, ...] = ("open", "in_progress", "evidence_submitted")
# What the owner agency still owes, and so what reminders are about; evidence under review
# owes nothing until it is sent back.
OWED: tuple[Status, ...] = ("open", "in_progress")

Mover = Literal["owner", "reviewer", "organiser"]
# Who may make each change of status (carried_forward is only ever set by carrying forward).
MOVES: dict[tuple[str, str], Mover] = {
    ("open", "in_progress"): "owner",
    ("open", "evidence_submitted"): "owner",
    ("in_progress", "evidence_submitted"): "owner",
    ("evidence_submitted", "accepted"): "reviewer",
    ("evidence_submitted", "in_progress"): "reviewer",
    **{(s, "withdrawn"): "organiser" for s in OUTSTANDING},
}
OWNER_ROLES = ACTION_OWNER_ROLES
REVIEWER_ROLES = frozenset({"learning_hub_member", "coordinator"})

# The engine's ladder for an action, unless the audit type declares ``action_reminders``:
# reminders to the owner agency's leads, overdue notices to them, then an escalation to its
# strategic lead and the audit's chair.
LADDER = DeadlineDef(
    name="action_due",
    working_days=1,  # unused: an action's due date is given, not counted
    owed_by="action_owners",
    reminders=ReminderLadder(
        before_working_days=[10, 5, 1],
        on_due_day=True,
        remind=["agency_lead", "strategic_lead"],
        overdue=[
            OverdueStep(after_working_days=2, notify=["agency_lead", "strategic_lead"]),
            OverdueStep(after_working_days=5, notify=["strategic_lead", "chair"]),
        ],
    ),
)


def ladder_for(definition: AuditTypeDefinition) -> DeadlineDef:
    """The reminder ladder of every action on an audit of this type."""
    if definition.action_reminders is None:
        return LADDER
    return LADDER.model_copy(update={"reminders": definition.action_reminders})


def action_rungs(
    calendar: WorkingCalendar, schedule: DeadlineDef, *, due: datetime, at: datetime
) -> list[Rung]:
    """The dated reminder rungs of an action due at ``due``, its deadline opened at ``at``."""
    found = ladder(schedule, due_at=due, opened_at=at, calendar=calendar)
    # Overdue notices over the owner's head (to the chair) are escalations; the ladder
    # itself only escalates for returns, so the kind is settled here.
    return [
        replace(r, kind="escalation")
        if r.kind == "overdue" and ESCALATION_ROLES.difference(OWNER_ROLES).intersection(r.roles)
        else r
        for r in found
    ]
