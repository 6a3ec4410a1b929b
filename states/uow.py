"""Unit of work: one database transaction that rolls back unless explicitly committed.

Repositories and services never commit on their own; the caller that opened the unit decides.
It holds a Core ``Connection`` rather than an ORM ``Session``: nothing here needs an identity
map, and the session's bookkeeping cost more per transition than SQLite's own work.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from states.db import READONLY
from states.errors import StoreUnavailable


class UnitOfWork:
    def __init__(self, engine: Engine, *, readonly: bool = False) -> None:
        self._engine = engine.execution_options(**{READONLY: True}) if readonly else engine
        self._connection: Connection | None = None

    def __enter__(self) -> UnitOfWork:
        self._connection = self._engine.connect()
        self._connection.begin()
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
        finally:
            connection.close()

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open")
        return self._connection

    def commit(self) -> None:
        try:
            self.connection.commit()
        except OperationalError as exc:
            raise StoreUnavailable(
                "The database could not save the change; try again in a moment."
            ) from exc


class UnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, *, readonly: bool = False) -> UnitOfWork:
        return UnitOfWork(self.engine, readonly=readonly)
