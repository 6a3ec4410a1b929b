"""How much Prefect keeps: its flow runs, counted through its API, and its database's size,
for the operator and for benchmarks that run the worker's ticks for a simulated year.

Only supported means: the count is the API's own (``count_flow_runs``), so it is right
whichever database the server uses; the database is the one this process's Prefect
settings name (``PREFECT_SERVER_DATABASE_CONNECTION_URL``, else ``prefect.db`` in
``PREFECT_HOME``), which ``oscp up`` gives the server and the worker alike. A SQLite file is
measured on disk (with its write-ahead log, which holds what is not yet copied into the
file); a PostgreSQL database is asked for ``pg_database_size``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.settings import get_current_settings
from sqlalchemy import URL, create_engine, func, make_url, select
from sqlalchemy.pool import NullPool

from states.errors import AuditEngineError


@dataclass(frozen=True)
class PrefectSize:
    flow_runs: int
    database_bytes: int
    database: str  # which database was measured, named without its password


class PrefectDatabaseUnmeasured(AuditEngineError):
    def __init__(self, database: str) -> None:
        super().__init__(
            f"Prefect's database ({database}) cannot be measured here; point "
            "PREFECT_SERVER_DATABASE_CONNECTION_URL at a SQLite file or a PostgreSQL database."
        )


def prefect_size() -> PrefectSize:
    """Prefect's flow runs and its database's size, as this process's settings reach them
    (an API that needs a login is asked with the one set in ``PREFECT_API_AUTH_STRING``)."""
    with get_client(sync_client=True) as client:
        runs = client.count_flow_runs()
    connection_url = get_current_settings().server.database.connection_url
    if connection_url is None:  # Prefect's settings always fill it in; said plainly if not
        raise PrefectDatabaseUnmeasured("none is set")
    url = make_url(connection_url.get_secret_value())
    return PrefectSize(runs, database_size(url), _named(url))


def database_size(url: URL) -> int:
    """The size in bytes of the database at ``url`` (a SQLAlchemy URL, any driver)."""
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database and not _in_memory(url):
        return _file_size(Path(url.database))
    if backend == "postgresql":
        return _postgres_size(url)
    raise PrefectDatabaseUnmeasured(_named(url))


def _in_memory(url: URL) -> bool:
    return ":memory:" in (url.database or "") or url.query.get("mode") == "memory"


def _file_size(path: Path) -> int:
    if not path.exists():
        raise PrefectDatabaseUnmeasured(_named(make_url(f"sqlite:///{path}")))
    journal = path.with_name(f"{path.name}-wal")
    return path.stat().st_size + (journal.stat().st_size if journal.exists() else 0)


def _postgres_size(url: URL) -> int:
    # Prefect's own URL names an async driver; the engine's sync one asks the same server.
    engine = create_engine(url.set(drivername="postgresql+psycopg", query={}), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            size = connection.execute(select(func.pg_database_size(func.current_database())))
            return int(size.scalar_one())
    finally:
        engine.dispose()


def _named(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database}"
    return url.set(password=None, query={}).render_as_string(hide_password=True)
