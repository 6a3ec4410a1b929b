"""Measuring Prefect's database, as ``prefect_size`` does for whichever one the settings name:
a SQLite file with its write-ahead log, a PostgreSQL database by its own count, and a plain
sentence for one that cannot be measured. (The flow-run count, through Prefect's API, is
tested with the tick in test_tick_flows.py.)"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import make_url

from workflows.prefect_size import PrefectDatabaseUnmeasured, database_size


def test_a_sqlite_file_is_measured_with_its_write_ahead_log(tmp_path: Path) -> None:
    path = tmp_path / "prefect.db"
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE flow_run (id INTEGER PRIMARY KEY, name TEXT)")
        connection.executemany("INSERT INTO flow_run (name) VALUES (?)", [("x" * 100,)] * 500)
        connection.commit()
        wal = tmp_path / "prefect.db-wal"
        assert wal.stat().st_size > 0  # still open: not yet copied into the file
        expected = path.stat().st_size + wal.stat().st_size
        assert database_size(make_url(f"sqlite+aiosqlite:///{path}")) == expected
    finally:
        connection.close()


@pytest.mark.postgres
def test_a_postgresql_database_is_asked_its_size(postgres_url: str) -> None:
    # Prefect names its async driver; the size is asked over the engine's own.
    url = make_url(postgres_url).set(drivername="postgresql+asyncpg")
    assert database_size(url) > 1_000_000


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:///file::memory:?cache=shared&uri=true",
        "sqlite+aiosqlite:////no/such/prefect.db",
        "mysql://prefect@127.0.0.1/prefect",
    ],
)
def test_a_database_that_cannot_be_measured_is_said_plainly(url: str) -> None:
    with pytest.raises(PrefectDatabaseUnmeasured, match="cannot be measured here; point"):
        database_size(make_url(url))
