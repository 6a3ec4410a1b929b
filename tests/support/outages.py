"""Faults injected into a real database connection, at a chosen statement.

On PostgreSQL the connection's own server process is terminated from another connection
(``pg_terminate_backend``) just before the statement runs, so the statement meets a dead
connection exactly as it would in an outage. SQLite has no server to lose; the driver raises
the error SQLite gives when a read or write of the file fails (SQLITE_IOERR).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, Table, event

from tests.conftest import POSTGRES_URL


@dataclass
class Outage:
    """How many times the fault struck (it strikes at most ``times``)."""

    times: int
    struck: int = 0


def backend_pid(connection: Connection) -> int:
    """The PostgreSQL server process behind an engine connection (psycopg's own attribute)."""
    dbapi = connection.connection.dbapi_connection
    assert isinstance(dbapi, psycopg.Connection)
    return int(dbapi.info.backend_pid)


def terminate(pid: int) -> None:
    """End a server process and wait (up to 5 s) until it has gone."""
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


def disk_io_error() -> sqlite3.OperationalError:
    """What SQLite raises when the file cannot be read or written, codes and all."""
    error = sqlite3.OperationalError("disk I/O error")
    error.sqlite_errorcode = sqlite3.SQLITE_IOERR
    error.sqlite_errorname = "SQLITE_IOERR"
    return error


@contextmanager
def outage_at(
    engine: Engine, table: Table, *, verb: str = "INSERT", times: int = 1
) -> Iterator[Outage]:
    """The database fails under the next ``times`` statements that ``verb`` ``table``
    (INSERT, UPDATE, or SELECT from it)."""
    target = {"INSERT": r"INSERT\s+INTO", "UPDATE": r"UPDATE", "SELECT": r"SELECT\b.*?\bFROM"}
    pattern = re.compile(rf'\s*{target[verb]}\s+"?{table.name}"?[\s(]', re.IGNORECASE | re.DOTALL)
    outage = Outage(times)

    def strike(connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if outage.struck >= outage.times or not pattern.match(statement):
            return
        outage.struck += 1
        if engine.dialect.name == "postgresql":
            terminate(backend_pid(connection))  # the statement then runs on a dead line
        else:
            raise disk_io_error()

    event.listen(engine, "before_cursor_execute", strike)
    try:
        yield outage
    finally:
        event.remove(engine, "before_cursor_execute", strike)


@contextmanager
def lost_at_commit(engine: Engine, table: Table) -> Iterator[Outage]:
    """PostgreSQL only: the connection is lost as it commits a transaction that wrote to
    ``table``, so the rows were written and must not survive."""
    assert engine.dialect.name == "postgresql", "SQLite has no connection to lose"
    pattern = re.compile(rf'\s*INSERT\s+INTO\s+"?{table.name}"?[\s(]', re.IGNORECASE)
    outage = Outage(1)

    def wrote(connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if pattern.match(statement):
            connection.info["wrote"] = True

    def commit(connection: Connection) -> None:
        if connection.info.pop("wrote", False) and outage.struck < outage.times:
            outage.struck += 1
            terminate(backend_pid(connection))

    event.listen(engine, "before_cursor_execute", wrote)
    event.listen(engine, "commit", commit)
    try:
        yield outage
    finally:
        event.remove(engine, "before_cursor_execute", wrote)
        event.remove(engine, "commit", commit)
