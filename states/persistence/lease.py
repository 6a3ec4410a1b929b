"""A lease in the database: at most one holder at a time, renewed while it works.

Acquiring is one conditional UPDATE (or the first INSERT), so two processes racing for it
cannot both win. A holder that dies stops renewing and the lease lapses; sooner, when the
caller can tell that the holder is gone (``holder_alive``, supplied by the worker layer, which
knows about processes), the lease is taken at once. Taking it from a dead holder is still a
compare-and-set on that holder's name, so two processes that both see it dead cannot both win.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, false, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from states.clock import Clock, as_utc
from states.persistence import tables as t
from states.persistence.uow import UnitOfWorkFactory

HolderAlive = Callable[[str], bool]


def _always_alive(_holder: str) -> bool:
    """Without a way to tell, every holder is alive until its lease lapses."""
    return True


class Lease:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        name: str,
        holder: str,
        duration: timedelta,
        holder_alive: HolderAlive = _always_alive,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._holder_alive = holder_alive
        self.name = name
        self.holder = holder
        self.duration = duration

    def acquire(self) -> bool:
        """Take or renew the lease; False while someone else (alive) holds it."""
        now = self._clock.now()
        with self._uow() as uow:
            current = self._current(uow.connection)
            if current is None:
                try:
                    self._insert(uow.connection, now)
                except IntegrityError:  # another process inserted it first
                    return False
                taken = True
            else:
                taken = self._take(uow.connection, now, self._dead(current, now))
            uow.commit()
        return taken

    def release(self) -> None:
        """Let the lease lapse now, if this holder still has it."""
        with self._uow() as uow:
            uow.connection.execute(
                update(t.lease)
                .where(t.lease.c.name == self.name, t.lease.c.holder == self.holder)
                .values(expires_at=self._clock.now())
            )
            uow.commit()

    def holder_now(self) -> str | None:
        with self._uow(readonly=True) as uow:
            current = self._current(uow.connection)
        if current is None or current[1] <= self._clock.now():
            return None
        return current[0]

    def _current(self, connection: Connection) -> tuple[str, datetime] | None:
        statement = select(t.lease.c.holder, t.lease.c.expires_at).where(
            t.lease.c.name == self.name
        )
        row = connection.execute(statement).first()
        return None if row is None else (str(row[0]), as_utc(row[1]))

    def _dead(self, current: tuple[str, datetime], now: datetime) -> str | None:
        """The current holder's name if it is another holder, unlapsed, whose process is gone
        (asked only then: the question may cost a system call)."""
        holder, expires_at = current
        if holder == self.holder or expires_at <= now or self._holder_alive(holder):
            return None
        return holder

    def _take(self, connection: Connection, now: datetime, dead: str | None) -> bool:
        # Every condition is checked again by the UPDATE itself, against the row as it is
        # when the UPDATE runs, so the read above decides nothing on its own.
        from_dead: ColumnElement[bool] = t.lease.c.holder == dead if dead else false()
        taken = connection.execute(
            update(t.lease)
            .where(
                t.lease.c.name == self.name,
                or_(t.lease.c.holder == self.holder, t.lease.c.expires_at <= now, from_dead),
            )
            .values(holder=self.holder, expires_at=now + self.duration)
        ).rowcount
        return taken == 1

    def _insert(self, connection: Connection, now: datetime) -> None:
        row = {"name": self.name, "holder": self.holder, "expires_at": now + self.duration}
        connection.execute(insert(t.lease), row)
