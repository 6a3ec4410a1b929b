"""Engines for the embedded default (SQLite, WAL) and for scale (PostgreSQL via psycopg 3).

SQLite write transactions start with ``BEGIN IMMEDIATE`` so a writer takes the lock before
it reads: two writers then queue on ``busy_timeout`` instead of one failing half-way with
SQLITE_BUSY_SNAPSHOT. Read-only units of work keep the cheaper deferred ``BEGIN``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

READONLY = "oscp_readonly"
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    # Statement parameters carry what people typed into returns; keep them out of logs and
    # out of error messages, whatever the logging level.
    kwargs.setdefault("hide_parameters", True)
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=40, **kwargs)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling would BEGIN lazily and deferred; we begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        readonly = connection.get_execution_options().get(READONLY, False)
        # Every unit of work passes here; exec_driver_sql cost ~15 µs of Python per BEGIN.
        driver_execute(connection, "BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def driver_execute(
    connection: Connection,
    sql: str,
    parameters: Sequence[Any] | Mapping[str, Any] = (),
    *,
    fetch: bool = False,
) -> tuple[Sequence[Any], int]:
    """Run SQL already in the driver's dialect on its cursor, in the connection's transaction.

    For the hot path only: ``Connection.execute`` and ``exec_driver_sql`` spend more Python
    per statement (execution context, events, result object) than SQLite spends running it.
    Returns the rows (when ``fetch``) and the row count. A driver error still goes through
    SQLAlchemy's own handler, so callers see the same wrapped exception (``IntegrityError``,
    ``OperationalError``) and a dropped connection is invalidated as before.
    """
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, parameters)
        return (cursor.fetchall() if fetch else []), cursor.rowcount
    except connection.dialect.loaded_dbapi.Error as exc:
        # Private, but the one place that also runs handle_error events and invalidates a
        # dead connection; the public DBAPIError.instance only wraps. SQLAlchemy is pinned
        # below 2.2, and the tests of conflicts and locks would catch a change here.
        connection._handle_dbapi_exception(exc, sql, parameters, cursor, None)
    finally:
        cursor.close()
