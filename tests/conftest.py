"""Shared fixtures: a fake clock, and real databases — a SQLite file and a PostgreSQL schema.

PostgreSQL tests need the server on 127.0.0.1:5432 (``scripts/services`` starts it). Under CI
an unreachable server fails the run instead of skipping, so PostgreSQL is never silently
untested.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from argon2 import profiles
from sqlalchemy import Engine

from states.clock import FakeClock
from states.persistence.db import make_engine
from states.persistence.migrate import upgrade
from states.persistence.uow import UnitOfWorkFactory
from states.rules import passwords
from states.rules.catalogue import Catalogue
from states.services.deps import Deps
from tests.support.partnership import seed_partnership
from tests.support.paths import DEFINITIONS, ROOT

__all__ = ["DEFINITIONS", "ROOT"]  # where most tests look them up
POSTGRES_URL = os.environ.get("OSCP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
# Prefect, wherever a test imports it: offline, quiet, and nothing written to ~/.prefect.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# One Prefect home per test worker (pytest-xdist names them), so parallel workers never share
# Prefect's own database.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
os.environ.setdefault("PREFECT_HOME", str(ROOT / "var" / f"test-prefect-{_WORKER}"))
Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.3")
# A terminal size in the environment when the CLI's consoles are built fixes their width for
# the whole process (test workers are started with one); without it each command reads the
# COLUMNS its test gives, as a fresh process would.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)
# A Monday in term time, well clear of bank holidays.
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """Every password the tests hash or check in their own process costs microseconds
    (argon2-cffi's profile for tests) instead of 64 MiB and half a second: hundreds of tests
    sign in. The engine's own parameters are checked in tests/states/rules/test_passwords.py,
    which hashes with them; commands run in a subprocess hash with them too."""
    passwords.use_parameters(profiles.CHEAPEST)
    yield
    passwords.use_parameters(passwords.PARAMETERS)


def _postgres_available() -> bool:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not _postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}; run scripts/services")
        pytest.skip("PostgreSQL is not running; run scripts/services")
    return POSTGRES_URL


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """A fresh schema per test, so tests never see each other's rows."""
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    engine = make_engine(f"{postgres_url}?options=-csearch_path%3D{schema}")
    upgrade(engine)
    yield engine
    engine.dispose()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once per session: each test starts from a copy of it, which is
    the same schema as migrating afresh (the alembic version table included), ten times
    faster."""
    path = tmp_path_factory.mktemp("template") / "oscp.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    target = tmp_path / "oscp.db"
    source, copy = sqlite3.connect(sqlite_template), sqlite3.connect(target)
    try:
        source.backup(copy)  # SQLite's own online copy: consistent whatever the journal mode
    finally:
        source.close()
        copy.close()
    engine = make_engine(f"sqlite:///{target}")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    chosen: Engine = request.getfixturevalue(f"{request.param}_engine")
    return chosen


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return Catalogue.from_directory(DEFINITIONS)


@pytest.fixture
def deps(engine: Engine, catalogue: Catalogue, clock: FakeClock) -> Deps:
    return Deps(uow=UnitOfWorkFactory(engine), catalogue=catalogue, clock=clock)


@pytest.fixture
def partnership(deps: Deps) -> Deps:
    """``deps`` with the tests' invented partnership (``tests.support.partnership``) loaded."""
    seed_partnership(deps)
    return deps
