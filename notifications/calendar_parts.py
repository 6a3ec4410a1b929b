"""What a calendar builder is given: the outbox row being sent and the relay's settings.

Some messages carry a calendar entry (a deadline, a meeting). The relay asks
``notifications.calendars.calendar_for`` for it as it builds each message, at sending, so the
entry says what is true then (a deadline extended after the message was queued goes out with
its new date and sequence). Builders for each kind implement ``CalendarBuilder``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from notifications.ical import CalendarPart
from states.services.deps import Deps


class MessageRow(Protocol):
    """The outbox row, as the relay holds it (``notifications.relay.Pending``)."""

    @property
    def kind(self) -> str: ...
    @property
    def audit_id(self) -> int | None: ...
    @property
    def subject_id(self) -> int | None: ...
    @property
    def recipient_id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def context(self) -> str: ...


class SenderConfig(Protocol):
    """The relay's settings a calendar entry needs: its organiser and its UIDs' domain."""

    @property
    def mail_from(self) -> str: ...
    @property
    def mail_domain(self) -> str: ...
    @property
    def base_url(self) -> str: ...


# (the engine, the row being sent, the relay's settings, the instant of sending) -> the entry,
# or None when the message should go without one (say, the entry was cancelled since).
CalendarBuilder = Callable[[Deps, MessageRow, SenderConfig, datetime], CalendarPart | None]
