"""A database that cannot be used says why, once, and what to do: a read-only file, a full
disk, no such database, a refused login, nothing listening. Nothing is left half-written, and
no message is marked failed for what only a person can mend.

Tests run as root, where a chmod stops nothing: the read-only file is made immutable
(``chattr +i``, which binds root too), or, on a file system without that, opened read-only by
SQLite itself. The full disk is SQLite's own page limit, set at the database's size.
"""

from __future__ import annotations

import logging
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import psycopg.errors
import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from notifications.relay import CLAIM, RelayResult, relay
from states.clock import FakeClock
from states.errors import StoreUnavailable
from states.persistence import tables as t
from states.persistence.db import make_engine, store_error
from states.persistence.migrate import upgrade
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services import audits, work
from states.services.deps import Deps
from tests.support.cli import oscp
from tests.support.outages import outage_at
from tests.support.partnership import email, seed_partnership
from tests.support.ports import refused_port
from tests.support.relay import CONFIG, expected_ids, outbox, raise_concern
from tests.support.smtp import Recorder, mailer, smtp_server
from tests.support.terms import record_terms
from tests.support.web_clients import Clients

FULL = "The disk holding the database is full; free some space, then try again."
TABLES = (t.audit, t.event, t.outbox, t.deadline, t.reminder, t.token, t.escalation)


def read_only(path: Path) -> str:
    return (
        f"The database file {path} is read-only; give the user running oscp write access to "
        "it and its folder."
    )


def counts(deps: Deps) -> dict[str, int]:
    with deps.uow(readonly=True) as uow:
        return {
            table.name: uow.connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in TABLES
        }


@contextmanager
def unwritable(path: Path) -> Iterator[str]:
    """The database file made read-only even for root; yields the URL to open it by."""
    try:
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    except OSError:  # no chattr at all
        made = None
    if made is None or made.returncode != 0:  # no immutable files here: SQLite's own read-only
        yield f"sqlite:///file:{path}?mode=ro&uri=true"
        return
    try:
        yield f"sqlite:///{path}"
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def partnership_database(path: Path, catalogue: Catalogue, clock: FakeClock) -> tuple[Deps, str]:
    """A database file with the test partnership and one audit whose two messages wait."""
    deps = Deps(
        uow=UnitOfWorkFactory(make_engine(f"sqlite:///{path}")), catalogue=catalogue, clock=clock
    )
    upgrade(deps.uow.engine)
    seed_partnership(deps)
    reference = raise_concern(deps)
    record_terms(deps, reference)
    return deps, reference


def test_a_read_only_database_file_says_so_through_the_cli(
    tmp_path: Path, catalogue: Catalogue, clock: FakeClock
) -> None:
    path = tmp_path / "oscp.db"
    deps, reference = partnership_database(path, catalogue, clock)
    before = counts(deps)
    deps.uow.engine.dispose()
    with unwritable(path) as url:
        done = oscp(
            tmp_path,
            "audit",
            "fire",
            reference,
            "agree_terms_of_reference",
            OSCP_ACTOR=email("chair"),
            OSCP_DATABASE_URL=url,
        )
    assert done.exit_code == 1, done.stderr
    said = " ".join(done.stderr.split())
    assert said == f"Error: {read_only(path)}"
    assert counts(deps) == before
    deps.uow.engine.dispose()


def test_a_read_only_database_stops_the_relay_and_fails_no_message(
    tmp_path: Path, catalogue: Catalogue, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "oscp.db"
    deps, _ = partnership_database(path, catalogue, clock)
    before = counts(deps)
    deps.uow.engine.dispose()
    caplog.set_level(logging.WARNING, logger="notifications.relay")
    server = Recorder()
    with unwritable(path) as url, smtp_server(server) as port:
        frozen = Deps(uow=UnitOfWorkFactory(make_engine(url)), catalogue=catalogue, clock=clock)
        for _ in range(3):
            with pytest.raises(StoreUnavailable) as stopped:
                relay(frozen, mailer(port), config=CONFIG)
            assert (stopped.value.cause, stopped.value.retryable) == ("read_only", False)
            assert str(stopped.value) == read_only(path)
        frozen.uow.engine.dispose()
    assert server.received == []
    said = [r.getMessage() for r in caplog.records]
    assert said == [f"Outbox relay stopped: {read_only(path)}"]  # once, not per round
    assert counts(deps) == before
    assert all(
        (row.attempts, row.failed_at, row.sent_at) == (0, None, None) for row in outbox(deps)
    )
    deps.uow.engine.dispose()


@contextmanager
def disk_full(engine: Engine, path: Path) -> Iterator[None]:
    """SQLite's own page limit, set on every connection at the database's size once a VACUUM
    has left it no free pages: whatever needs room beyond what the rows already have fails
    with SQLITE_FULL, as on a full disk."""
    engine.dispose()
    with closing(sqlite3.connect(path)) as raw:
        raw.execute("VACUUM")
        (pages,) = raw.execute("PRAGMA page_count").fetchone()

    def limit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    event.listen(engine, "connect", limit)
    try:
        yield
    finally:
        event.remove(engine, "connect", limit)
        engine.dispose()


def start_until_full(deps: Deps) -> tuple[StoreUnavailable, dict[str, int]]:
    """Start audits until one does not fit: its refusal, and the counts from just before."""
    for started in range(500):  # each start writes a dozen rows
        before = counts(deps)
        try:
            audits.start_audit(
                deps,
                audit_type="mace",
                theme=f"Filling {started}",
                lead=email("chair"),
                actor=email("coordinator"),
            )
        except StoreUnavailable as full:
            return full, before
    pytest.fail("the disk never filled")


def test_a_full_disk_refuses_the_change_whole_and_says_so(
    sqlite_engine: Engine, tmp_path: Path, catalogue: Catalogue, clock: FakeClock
) -> None:
    deps = Deps(uow=UnitOfWorkFactory(sqlite_engine), catalogue=catalogue, clock=clock)
    seed_partnership(deps)
    with disk_full(sqlite_engine, tmp_path / "oscp.db"):
        full, before = start_until_full(deps)
        assert (full.cause, full.retryable, str(full)) == ("disk_full", False, FULL)
        assert counts(deps) == before  # the start that did not fit left nothing behind


def test_a_full_disk_stops_the_relay_says_so_once_and_fails_no_message(
    sqlite_engine: Engine,
    tmp_path: Path,
    catalogue: Catalogue,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    deps = Deps(uow=UnitOfWorkFactory(sqlite_engine), catalogue=catalogue, clock=clock)
    seed_partnership(deps)
    reference = raise_concern(deps)
    for n in range(40):  # forty links to mint, each a row that needs room
        work.raise_immediate_risk(
            deps, audit=reference, actor=email("chair"), agency="police", concern=f"Concern {n}"
        )
    caplog.set_level(logging.WARNING, logger="notifications.relay")
    server = Recorder()
    with smtp_server(server) as port:
        with disk_full(sqlite_engine, tmp_path / "oscp.db"):
            for _ in range(rounds := 3):
                with pytest.raises(StoreUnavailable) as stopped:
                    relay(deps, mailer(port), config=CONFIG)
                assert (stopped.value.cause, str(stopped.value)) == ("disk_full", FULL)
        said = [r.getMessage() for r in caplog.records]
        assert said == [f"Outbox relay stopped: {FULL}"]
        assert not any(row.failed_at or row.attempts for row in outbox(deps))

        # Space freed. A message whose sent mark found no room is sent again once its claim
        # lapses, as after a crash.
        clock.advance(CLAIM)
        while relay(deps, mailer(port), config=CONFIG) != RelayResult():
            pass
    assert caplog.records[-1].getMessage() == "Outbox relay: the database can be used again."
    assert all(row.sent_at is not None and row.failed_at is None for row in outbox(deps))
    received = Counter(message["Message-ID"] for message in server.received)
    assert set(received) == expected_ids(deps)
    # At most one copy (the same Message-ID) per round stopped by the full disk.
    assert max(received.values()) <= 2 and sum(received.values()) - len(received) <= rounds


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        (
            {"database": "oscp_nowhere"},
            "There is no database 'oscp_nowhere' at 127.0.0.1:5432; create it, or correct the "
            "name in OSCP_DATABASE_URL.",
        ),
        (
            {"port": "PORT"},
            "Nothing is listening at 127.0.0.1:PORT; start the database or check "
            "OSCP_DATABASE_URL.",
        ),
        (
            {"username": "oscp_nobody"},
            "The database at 127.0.0.1:5432 refused the login of user 'oscp_nobody'; check the "
            "user and password in OSCP_DATABASE_URL.",
        ),
    ],
    ids=["no-such-database", "nothing-listening", "unknown-user"],
)
def test_a_postgresql_database_that_cannot_be_reached_says_why_through_the_cli(
    postgres_url: str, tmp_path: Path, change: dict[str, str], sentence: str
) -> None:
    port = str(refused_port())
    values: dict[str, Any] = {k: int(port) if v == "PORT" else v for k, v in change.items()}
    url = make_url(postgres_url).set(**values).render_as_string(hide_password=False)
    done = oscp(tmp_path, "audit", "list", OSCP_DATABASE_URL=url)
    assert done.exit_code == 1, done.stderr
    assert " ".join(done.stderr.split()) == f"Error: {sentence.replace('PORT', port)}"


@pytest.mark.parametrize(
    ("driver_error", "cause", "retryable", "sentence"),
    [
        (psycopg.errors.DiskFull("could not extend file"), "disk_full", False, FULL),
        (
            psycopg.errors.ReadOnlySqlTransaction("read-only transaction"),
            "read_only",
            False,
            "The database at db.example.org:5433 accepts only reads (a standby server?); "
            "point OSCP_DATABASE_URL at the primary.",
        ),
        (
            psycopg.errors.AdminShutdown("terminating connection"),
            "connection_lost",
            True,
            "The connection to the database was lost, so nothing was saved; try again in a moment.",
        ),
        (
            psycopg.errors.SerializationFailure("could not serialize access"),
            "busy",
            True,
            "The database is too busy just now, so nothing was saved; try again in a moment.",
        ),
    ],
    ids=["53100", "25006", "57P01", "40001"],
)
def test_postgresql_failures_are_told_apart_by_their_sqlstate(
    driver_error: Exception, cause: str, retryable: bool, sentence: str
) -> None:
    """The codes a test cannot easily bring about on a real server."""
    wrapped = OperationalError("INSERT INTO outbox ...", {}, driver_error)
    said = store_error(wrapped, "postgresql+psycopg://oscp@db.example.org:5433/oscp")
    assert said is not None
    assert (said.cause, said.retryable, str(said)) == (cause, retryable, sentence)


def test_a_broken_constraint_is_not_the_store() -> None:
    wrapped = OperationalError("INSERT ...", {}, psycopg.errors.UniqueViolation("duplicate"))
    assert store_error(wrapped, "postgresql://oscp@db.example.org/oscp") is None
    constraint = sqlite3.IntegrityError("UNIQUE constraint failed")
    assert store_error(constraint, "sqlite:///x.db") is None


def test_a_web_page_on_a_failing_database_answers_503_and_names_no_file(
    sqlite_engine: Engine, tmp_path: Path, catalogue: Catalogue, clock: FakeClock
) -> None:
    """The engine's sentence names the database file: the operator's business, never a
    reader's. The page says only to come back later."""
    deps = Deps(uow=UnitOfWorkFactory(sqlite_engine), catalogue=catalogue, clock=clock)
    seed_partnership(deps)
    with Clients(deps, tmp_path) as clients, outage_at(sqlite_engine, t.token, verb="SELECT"):
        page = clients().get("/act/" + "A" * 43)  # a link's length, so it is looked up
    assert page.status_code == 503
    assert "nothing was recorded" in page.text
    assert str(tmp_path) not in page.text and "oscp.db" not in page.text
