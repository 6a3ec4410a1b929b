"""Unit of work: one database transaction that rolls back unless explicitly committed.

Repositories and services never commit on their own; the caller that opened the unit decides.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from states.db import READONLY
from states.errors import StoreUnavailable


class UnitOfWork:
    def __init__(self, engine: Engine, *, readonly: bool = False) -> None:
        self._engine = engine.execution_options(**{READONLY: True}) if readonly else engine
        self._session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        self._session = Session(self._engine, expire_on_commit=False, autoflush=False)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        self._session = None
        try:
            session.rollback()
        finally:
            session.close()

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    @property
    def connection(self) -> Connection:
        return self.session.connection()

    def commit(self) -> None:
        try:
            self.session.commit()
        except OperationalError as exc:
            raise StoreUnavailable(
                "The database could not save the change; try again in a moment."
            ) from exc


class UnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, *, readonly: bool = False) -> UnitOfWork:
        return UnitOfWork(self.engine, readonly=readonly)
