"""Throw-away databases: a preview runs on one, never on the engine's own records.

A scratch database is a migrated SQLite file in a temporary folder, removed on leaving. It
starts empty or as a copy of the engine's embedded SQLite file, taken with SQLite's online
backup so a copy made while the engine runs is consistent. A PostgreSQL engine cannot be
copied this way (``copyable`` says so before anything is made).
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from states.persistence.db import make_engine
from states.persistence.migrate import upgrade


def copyable(engine: Engine) -> bool:
    """Whether ``engine`` is an SQLite file that ``scratch_database`` can copy."""
    return _sqlite_file(engine) is not None


@contextmanager
def scratch_database(*, copy_of: Engine | None = None) -> Iterator[Engine]:
    """A temporary SQLite database: a copy of ``copy_of`` (see ``copyable``), or a new one."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scratch.db"
        if copy_of is not None:
            _copy(copy_of, path)
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def _copy(source: Engine, target: Path) -> None:
    database = _sqlite_file(source)
    if database is None:
        raise ValueError("only an SQLite file can be copied to a scratch database")
    with sqlite3.connect(database) as live, sqlite3.connect(target) as copy:
        live.backup(copy)


def _sqlite_file(engine: Engine) -> str | None:
    url = make_url(str(engine.url))
    return url.database if url.get_backend_name() == "sqlite" and url.database else None
