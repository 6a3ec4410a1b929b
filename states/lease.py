"""A lease in the database: at most one holder at a time, renewed while it works.

Acquiring is one conditional UPDATE (or the first INSERT), so two processes racing for it
cannot both win; a holder that dies simply stops renewing and the lease lapses.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from states import tables as t
from states.clock import Clock, as_utc
from states.uow import UnitOfWorkFactory


class Lease:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        name: str,
        holder: str,
        duration: timedelta,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.name = name
        self.holder = holder
        self.duration = duration

    def acquire(self) -> bool:
        """Take or renew the lease; False while someone else holds it."""
        now = self._clock.now()
        with self._uow() as uow:
            taken = uow.connection.execute(
                update(t.lease)
                .where(
                    t.lease.c.name == self.name,
                    or_(t.lease.c.holder == self.holder, t.lease.c.expires_at <= now),
                )
                .values(holder=self.holder, expires_at=now + self.duration)
            ).rowcount
            if taken == 0 and self._absent(uow.connection):
                try:
                    uow.connection.execute(
                        insert(t.lease),
                        {
                            "name": self.name,
                            "holder": self.holder,
                            "expires_at": now + self.duration,
                        },
                    )
                    taken = 1
                except IntegrityError:  # another process inserted it first
                    return False
            uow.commit()
        return taken == 1

    def release(self) -> None:
        with self._uow() as uow:
            uow.connection.execute(
                update(t.lease)
                .where(t.lease.c.name == self.name, t.lease.c.holder == self.holder)
                .values(expires_at=self._clock.now())
            )
            uow.commit()

    def holder_now(self) -> str | None:
        with self._uow(readonly=True) as uow:
            row = uow.connection.execute(
                select(t.lease.c.holder, t.lease.c.expires_at).where(t.lease.c.name == self.name)
            ).first()
        if row is None or as_utc(row[1]) <= self._clock.now():
            return None
        return str(row[0])

    def _absent(self, connection: Connection) -> bool:
        statement = select(t.lease.c.name).where(t.lease.c.name == self.name)
        return connection.execute(statement).first() is None
