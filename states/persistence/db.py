"""Engines for the embedded default (SQLite, WAL) and for scale (PostgreSQL via psycopg 3).

SQLite write transactions start with ``BEGIN IMMEDIATE`` so a writer takes the lock before
it reads: two writers then queue on ``busy_timeout`` instead of one failing half-way with
SQLITE_BUSY_SNAPSHOT. Read-only units of work keep the cheaper deferred ``BEGIN``.

``store_error`` is the one place a failing database becomes a sentence for a person: a
read-only file, a full disk, no such database, a refused login, nothing listening, a lost
connection; each with what to do, and whether waiting may mend it (``retryable``).
"""

from __future__ import annotations

import re
import socket
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from states.errors import AuditEngineError, InvalidInput, StoreUnavailable

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
    url = (
        make_url(url)
        .set(drivername=f"sqlite+{_SQLITE_DRIVER}")
        .render_as_string(hide_password=False)
    )
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling would BEGIN lazily and deferred; we begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    return engine


class OscpSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite, beginning each transaction as the unit of work needs.

    A writer takes the lock as it begins (``BEGIN IMMEDIATE``, in ``do_begin``, where SQLAlchemy
    wraps a driver error as it wraps any other). A read-only engine (``READONLY``) begins
    deferred from a "begin" listener on that engine alone: an event listener on the writers'
    engine would put every statement of every transition through SQLAlchemy's event dispatch.
    """

    supports_statement_cache = True  # it compiles nothing differently from pysqlite

    def do_begin(self, dbapi_connection: Any) -> None:
        driver = dbapi_connection.driver_connection
        if not driver.in_transaction:  # the read-only listener has begun already
            driver.execute("BEGIN IMMEDIATE")

    def set_engine_execution_options(self, engine: Engine, opts: Mapping[str, Any]) -> None:
        super().set_engine_execution_options(engine, opts)
        if opts.get(READONLY, False):
            event.listen(engine, "begin", _begin_deferred)


def _begin_deferred(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


# Registered as SQLAlchemy's documentation has third-party dialects do: the engine's SQLite
# URLs name this driver, and the backend is still "sqlite" to everything that asks.
_SQLITE_DRIVER = "oscp_pysqlite"
registry.register(f"sqlite.{_SQLITE_DRIVER}", __name__, OscpSQLiteDialect.__name__)


# What a failing database means for whoever must act on it, in a word each: the cause a log
# says once, and what ``StoreUnavailable.cause`` carries.
LOST = "connection_lost"
UNREACHABLE = "unreachable"
BUSY = "busy"
DISK_ERROR = "disk_error"
READ_ONLY = "read_only"
DISK_FULL = "disk_full"
CANNOT_OPEN = "cannot_open"
DAMAGED = "damaged"
NO_DATABASE = "no_database"
LOGIN_REFUSED = "login_refused"
UNAVAILABLE = "unavailable"

FULL = "The disk holding the database is full; free some space, then try again."
TRY_AGAIN = "The database could not be used just now, so nothing was saved; try again in a moment."
# (cause, retryable, sentence) by SQLite's primary result code; {path} is the database file.
_SQLITE: Mapping[int, tuple[str, bool, str]] = {
    sqlite3.SQLITE_READONLY: (
        READ_ONLY,
        False,
        "The database file {path} is read-only; give the user running oscp write access to "
        "it and its folder.",
    ),
    sqlite3.SQLITE_FULL: (DISK_FULL, False, FULL),
    sqlite3.SQLITE_CANTOPEN: (
        CANNOT_OPEN,
        False,
        "The database file {path} cannot be opened; check that its folder exists and that "
        "the user running oscp may read and write there.",
    ),
    sqlite3.SQLITE_CORRUPT: (
        DAMAGED,
        False,
        "The database file {path} is damaged; restore it from a backup.",
    ),
    sqlite3.SQLITE_NOTADB: (
        DAMAGED,
        False,
        "The file {path} is not a database; check OSCP_DATABASE_URL, or restore it from a backup.",
    ),
    sqlite3.SQLITE_BUSY: (
        BUSY,
        True,
        "The database is busy with another change, so nothing was saved; try again in a moment.",
    ),
    sqlite3.SQLITE_LOCKED: (
        BUSY,
        True,
        "The database is busy with another change, so nothing was saved; try again in a moment.",
    ),
    sqlite3.SQLITE_IOERR: (
        DISK_ERROR,
        True,
        "The database file {path} could not be read or written (a disk error), so nothing was "
        "saved; try again, and check the disk if it keeps happening.",
    ),
}
# (cause, retryable, sentence) by PostgreSQL's SQLSTATE; {where} is host:port, {name} the
# database. Class 08 (connection exceptions) is lost connections too (see ``_postgres``).
_LOST_SENTENCE = (
    "The connection to the database was lost, so nothing was saved; try again in a moment."
)
_BUSY_SENTENCE = "The database is too busy just now, so nothing was saved; try again in a moment."
_POSTGRES: Mapping[str, tuple[str, bool, str]] = {
    "53100": (DISK_FULL, False, FULL),
    "25006": (
        READ_ONLY,
        False,
        "The database at {where} accepts only reads (a standby server?); point "
        "OSCP_DATABASE_URL at the primary.",
    ),
    "3D000": (
        NO_DATABASE,
        False,
        "There is no database '{name}' at {where}; create it, or correct the name in "
        "OSCP_DATABASE_URL.",
    ),
    "28P01": (
        LOGIN_REFUSED,
        False,
        "The database at {where} refused the login of user '{user}'; check the user and "
        "password in OSCP_DATABASE_URL.",
    ),
    "28000": (
        LOGIN_REFUSED,
        False,
        "The database at {where} refused the login of user '{user}'; check the user and "
        "password in OSCP_DATABASE_URL.",
    ),
    "57P01": (LOST, True, _LOST_SENTENCE),  # terminated by an administrator
    "57P02": (LOST, True, _LOST_SENTENCE),  # the server crashed
    "57P03": (LOST, True, _LOST_SENTENCE),  # the server is starting or stopping
    "53200": (BUSY, True, _BUSY_SENTENCE),  # out of memory
    "53300": (BUSY, True, _BUSY_SENTENCE),  # too many connections
    "40001": (BUSY, True, _BUSY_SENTENCE),  # serialization failure
    "40P01": (BUSY, True, _BUSY_SENTENCE),  # deadlock
}
# libpq keeps no SQLSTATE for a connection the server refused at the door (psycopg's
# ``sqlstate`` is None there), so the server's words are all there is to tell a missing
# database from a refused login. Anything else it says is still passed on, in its words.
_NO_SUCH_DATABASE = re.compile(r'database "[^"]*" does not exist')
_LOGIN = re.compile(r'authentication failed|role "[^"]*" does not exist|pg_hba\.conf')
PROBE_SECONDS = 2.0


def store_error(error: BaseException, url: str | URL) -> StoreUnavailable | None:
    """The engine's own sentence for a database that cannot be used, classified by the
    driver's error code (SQLite's result code, PostgreSQL's SQLSTATE) and never by its words
    where a code exists. None for anything else (a broken constraint, a faulty statement):
    that is not the store's doing, and is left as it is."""
    driver_error = error.orig if isinstance(error, DBAPIError) and error.orig else error
    where = make_url(url)
    if isinstance(driver_error, sqlite3.Error):
        return _sqlite(driver_error, where)
    if where.get_backend_name() == "postgresql":
        return _postgres(error, driver_error, where)
    if isinstance(error, OperationalError | InterfaceError):
        return StoreUnavailable(TRY_AGAIN, cause=UNAVAILABLE)
    return None


def escaped_error(error: BaseException, url: Callable[[], str | URL]) -> AuditEngineError | None:
    """A database library's error that no unit of work turned into the engine's own (one
    raised before any, as when the schema is checked at start-up, or a constraint no service
    foresaw), in the engine's words: a broken constraint as one sentence, a database that
    cannot be used as ``store_error`` says it. ``None`` for anything else, which is a bug.
    ``url`` is asked for only when the store's failure needs it, so whatever settings name
    the database are read only then. Entry points use it so they need not know the library."""
    if isinstance(error, IntegrityError):
        return InvalidInput(
            "that would duplicate a record that already exists; "
            "check the codes, e-mails or references given."
        )
    if isinstance(error, DBAPIError):
        return store_error(error, url())
    return None


def _sqlite(error: sqlite3.Error, where: URL) -> StoreUnavailable | None:
    code = getattr(error, "sqlite_errorcode", None)
    known = None if code is None else _SQLITE.get(code & 0xFF)  # extended codes share it
    if known is not None:
        cause, retryable, sentence = known
        return StoreUnavailable(
            sentence.format(path=_sqlite_path(where)), cause=cause, retryable=retryable
        )
    if isinstance(error, sqlite3.OperationalError) and code != sqlite3.SQLITE_ERROR:
        return StoreUnavailable(TRY_AGAIN, cause=UNAVAILABLE)
    return None  # a constraint, or a statement at fault (SQLITE_ERROR): not the store


def _sqlite_path(where: URL) -> str:
    path = where.database or ""
    return path.removeprefix("file:").split("?")[0] or "(in memory)"


def _postgres(
    error: BaseException, driver_error: BaseException, where: URL
) -> StoreUnavailable | None:
    sqlstate: str | None = getattr(driver_error, "sqlstate", None)
    details = {
        "where": f"{where.host or 'localhost'}:{where.port or 5432}",
        "name": where.database or "",
        "user": where.username or "",
    }
    if sqlstate is None:
        if isinstance(error, DBAPIError) and error.statement is None:
            return _not_connected(driver_error, where, details)
        return StoreUnavailable(_LOST_SENTENCE, cause=LOST) if _dropped(error) else None
    known = _POSTGRES.get(sqlstate)
    if known is None and sqlstate.startswith("08"):
        known = (LOST, True, _LOST_SENTENCE)
    if known is None:
        return None
    cause, retryable, sentence = known
    return StoreUnavailable(sentence.format(**details), cause=cause, retryable=retryable)


def _dropped(error: BaseException) -> bool:
    """The connection itself failed: no SQLSTATE, because the line went dead mid-statement."""
    return isinstance(error, OperationalError | InterfaceError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


def _not_connected(
    driver_error: BaseException, where: URL, details: Mapping[str, str]
) -> StoreUnavailable:
    """Connecting failed. First, is anything there at all? The operating system's answer to a
    plain connection says so without reading anyone's words; if something is, the database
    server answered and refused."""
    host, port = where.host or "localhost", where.port or 5432
    if not _listening(host, port):
        return StoreUnavailable(
            f"Nothing is listening at {details['where']}; start the database or check "
            "OSCP_DATABASE_URL.",
            cause=UNREACHABLE,
        )
    said = str(driver_error)
    if _NO_SUCH_DATABASE.search(said):
        cause, retryable, sentence = _POSTGRES["3D000"]
    elif _LOGIN.search(said):
        cause, retryable, sentence = _POSTGRES["28P01"]
    else:
        reason = said.rsplit("failed:", 1)[-1].strip().splitlines()[0]
        return StoreUnavailable(
            f"The database at {details['where']} refused the connection ({reason}); try again "
            "in a moment, and check OSCP_DATABASE_URL if it keeps happening.",
            cause=UNREACHABLE,
        )
    return StoreUnavailable(sentence.format(**details), cause=cause, retryable=retryable)


def _listening(host: str, port: int) -> bool:
    """Whether anything accepts a connection at ``host``:``port`` (a folder for a Unix
    socket, as libpq takes it); asked only once connecting has already failed."""
    try:
        if host.startswith("/"):
            with socket.socket(socket.AF_UNIX) as probe:
                probe.settimeout(PROBE_SECONDS)
                probe.connect(f"{host}/.s.PGSQL.{port}")
        else:
            socket.create_connection((host, port), timeout=PROBE_SECONDS).close()
    except OSError:
        return False
    return True


class OncePerCause:
    """Says each cause once until it changes or clears: a database that is full stays full
    for every message of every round, and the log should say so once, not thousands of
    times. Call ``first`` whenever the cause strikes and ``settle`` at the end of each round
    of work; a cause that did not strike again during a round has cleared."""

    def __init__(self) -> None:
        self._last: str | None = None
        self._struck = False

    def first(self, cause: str) -> bool:
        """Whether ``cause`` is news: the first time, after another cause, or after it
        cleared."""
        news = cause != self._last
        self._last, self._struck = cause, True
        return news

    def settle(self) -> str | None:
        """The end of a round: returns the cause that has just cleared, if one has."""
        if self._struck:
            self._struck = False
            return None
        cleared, self._last = self._last, None
        return cleared
