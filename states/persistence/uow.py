"""Unit of work: one database transaction that rolls back unless explicitly committed.

Repositories and services never commit on their own; the caller that opened the unit decides.
It holds a Core ``Connection`` rather than an ORM ``Session``: nothing here needs an identity
map, and the session's bookkeeping cost more per transition than SQLite's own work.

It is also where a failing database becomes the engine's own error, once for every service:
whatever the store did wrong inside the unit (a lost connection, a full disk, a read-only
file) leaves it rolled back and reaches the caller as a ``StoreUnavailable`` that says why
and what to do (``states.persistence.db.store_error``), retryable only where waiting may mend it.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from states.persistence.db import READONLY, store_error


def reader(engine: Engine) -> Engine:
    """The engine for read-only units: the same pool, beginning deferred (``READONLY``).
    Each ``execution_options`` call makes a new engine object and registers its own "begin"
    listener, so the factory makes one and keeps it."""
    if engine.get_execution_options().get(READONLY, False):
        return engine
    return engine.execution_options(**{READONLY: True})


class UnitOfWork:
    def __init__(self, engine: Engine, *, readonly: bool = False) -> None:
        self._engine = reader(engine) if readonly else engine
        self._connection: Connection | None = None

    def __enter__(self) -> UnitOfWork:
        try:
            connection = self._engine.connect()
        except DBAPIError as exc:
            self._raise_store_error(exc)
            raise
        try:
            connection.begin()
        except BaseException as exc:
            connection.close()
            if isinstance(exc, DBAPIError):
                self._raise_store_error(exc)
            raise
        self._connection = connection
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self.connection
        self._connection = None
        try:
            if connection.in_transaction():
                connection.rollback()
        except DBAPIError as failed:
            # When the work already failed, most likely on the same dead line, its own error
            # says more than the rollback's.
            if exc is None:
                self._raise_store_error(failed)
                raise
        finally:
            connection.close()
        if isinstance(exc, DBAPIError):
            self._raise_store_error(exc)

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open")
        return self._connection

    def commit(self) -> None:
        try:
            self.connection.commit()
        except DBAPIError as exc:
            self._raise_store_error(exc)
            raise

    def _raise_store_error(self, exc: DBAPIError) -> None:
        """Raise the store's failure in the engine's words; return when it is not the
        store's (a broken constraint), for the caller to let it go as it is."""
        said = store_error(exc, self._engine.url)
        if said is not None:
            raise said from exc


class UnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = reader(engine)

    def __call__(self, *, readonly: bool = False) -> UnitOfWork:
        return UnitOfWork(self._reader if readonly else self.engine, readonly=readonly)
