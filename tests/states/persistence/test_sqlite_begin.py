"""How SQLite transactions begin (``states.persistence.db``): a writer takes the lock as it
begins, so two writers queue instead of one failing half-way; a read-only unit begins
deferred, so reading never waits on a writer."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import Engine

from states.persistence.uow import UnitOfWork, UnitOfWorkFactory


def _other_writer_refused(engine: Engine) -> bool:
    """Whether another connection, not willing to wait, is refused the write lock now."""
    assert engine.url.database
    other = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        other.close()
    return False


def test_a_writer_holds_the_lock_from_the_moment_it_begins(sqlite_engine: Engine) -> None:
    with UnitOfWork(sqlite_engine):
        assert _other_writer_refused(sqlite_engine)
    assert not _other_writer_refused(sqlite_engine)


def test_a_reader_begins_deferred_and_does_not_wait_for_a_writer(sqlite_engine: Engine) -> None:
    with UnitOfWork(sqlite_engine), UnitOfWork(sqlite_engine, readonly=True) as reader:
        assert reader.connection.exec_driver_sql("SELECT count(*) FROM audit_cycle").scalar() == 0
        assert reader.connection.in_transaction()


def test_the_engine_itself_carries_no_event_listener(sqlite_engine: Engine) -> None:
    """A "begin" listener on the writers' engine would send every statement of every
    transition through SQLAlchemy's event dispatch (the transition benchmark's floor)."""
    assert not sqlite_engine.dispatch.begin
    with UnitOfWork(sqlite_engine, readonly=True):
        pass
    assert not sqlite_engine.dispatch.begin


def test_the_factory_makes_its_reading_engine_once(sqlite_engine: Engine) -> None:
    """Each ``execution_options`` call is a new engine with its own "begin" listener (about
    half a millisecond; a page opens dozens of read-only units): one, made with the factory."""
    factory = UnitOfWorkFactory(sqlite_engine)
    engines = set()
    for _ in range(3):
        with factory(readonly=True) as unit:
            engines.add(unit.connection.engine)
    (reading,) = engines
    assert reading is not sqlite_engine and len(reading.dispatch.begin) == 1
    assert not sqlite_engine.dispatch.begin


@pytest.mark.parametrize("readonly", [False, True])
def test_the_backend_is_still_sqlite(sqlite_engine: Engine, readonly: bool) -> None:
    with UnitOfWork(sqlite_engine, readonly=readonly) as unit:
        assert unit.connection.dialect.name == "sqlite"
        assert sqlite_engine.url.get_backend_name() == "sqlite"
