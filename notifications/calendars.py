"""Which messages carry a calendar entry, by kind, and the entry for one being sent."""

from __future__ import annotations

from datetime import datetime

from notifications import deadline_calendar, meeting_calendar
from notifications.calendar_parts import CalendarBuilder, MessageRow, SenderConfig
from notifications.ical import CalendarPart
from states.services.deps import Deps

# Filled by the kinds that carry an entry: deadlines (what an e-mail asks for by a date) and
# the audit discussion meeting's invitations.
BUILDERS: dict[str, CalendarBuilder] = {}
BUILDERS.update(deadline_calendar.builders())
BUILDERS.update(meeting_calendar.builders())


def calendar_for(
    deps: Deps, row: MessageRow, config: SenderConfig, at: datetime
) -> CalendarPart | None:
    builder = BUILDERS.get(row.kind)
    return None if builder is None else builder(deps, row, config, at)
