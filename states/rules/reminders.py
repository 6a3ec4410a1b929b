"""A deadline's reminder ladder as dated rungs, each due at nine in the morning London time.

Rungs are computed as local dates first and only then turned into UTC instants, so a ladder
that crosses a clock change still has exactly one rung per local date. A rung whose date has
already gone when the deadline opens is dropped rather than sent late and out of order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from states.clock import LONDON, as_utc
from states.definitions.model import DeadlineDef
from states.rules.calendar import WorkingCalendar

REMINDER_HOUR = time(9, 0)
# Overdue notices to these roles go over the head of whoever owes the work: an escalation.
ESCALATION_ROLES = frozenset({"strategic_lead", "chair", "coordinator"})


@dataclass(frozen=True)
class Rung:
    step: str
    kind: str
    roles: tuple[str, ...]
    due_at: datetime


def morning_of(day: date) -> datetime:
    return as_utc(datetime.combine(day, REMINDER_HOUR, tzinfo=LONDON))


def ladder(
    spec: DeadlineDef, *, due_at: datetime, opened_at: datetime, calendar: WorkingCalendar
) -> list[Rung]:
    steps = spec.reminders
    if steps is None:
        return []
    due_day = as_utc(due_at).astimezone(LONDON).date()
    rungs = [
        Rung(
            f"before:{n}",
            "reminder",
            tuple(steps.remind),
            morning_of(calendar.add_working_days(due_day, -n)),
        )
        for n in steps.before_working_days
    ]
    if steps.on_due_day:
        rungs.append(Rung("on_day", "reminder", tuple(steps.remind), morning_of(due_day)))
    for step in steps.overdue:
        # Escalation is about an agency's overdue work; anything else overdue is a reminder.
        over_their_heads = ESCALATION_ROLES.intersection(step.notify)
        kind = "escalation" if spec.owed_by == "participants" and over_their_heads else "overdue"
        rungs.append(
            Rung(
                f"overdue:{step.after_working_days}",
                kind,
                tuple(step.notify),
                morning_of(calendar.add_working_days(due_day, step.after_working_days)),
            )
        )
    return [r for r in rungs if r.due_at >= as_utc(opened_at)]
