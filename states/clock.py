"""The one clock. Nothing else in the project asks the system for the time.

Instants are timezone-aware UTC; the partnership's calendar (Europe/London) is applied only
where dates are shown or working days counted.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock tests set and advance; it never moves by itself."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start instant")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._now = instant.astimezone(UTC)


def as_utc(instant: datetime) -> datetime:
    """Databases may hand back naive datetimes (SQLite keeps no zone); they are UTC."""
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def as_utc_or_none(instant: datetime | None) -> datetime | None:
    """``as_utc`` for a column that may be empty (not yet submitted, used, frozen...)."""
    return None if instant is None else as_utc(instant)
