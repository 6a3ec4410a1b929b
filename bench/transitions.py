"""Persisted transitions per second: the engine's service layer against the bare driver.

Run: ``.venv/bin/python bench/transitions.py [--n N] [--postgres-url URL] [--rounds R]
[--only sqlite|postgresql]``

Each engine transition goes through ``states.services.audits.fire``: load the audit row and
the actor with roles, evaluate the gates in the compiled ``transitions`` machine, update the
audit with the version check, insert the event, commit. The baseline issues the same five
statements through ``sqlite3`` / ``psycopg`` directly, one transaction each, against a fresh
copy of the same schema and rows. The ratio (engine / baseline) says what the engine's Python
costs on top of the database's own work; the design asks for at least 0.25.

Rounds alternate engine and baseline and the best round of each is kept, so a burst of load
from another process on this small machine skews neither side alone.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder heads sys.path and the file's name would shadow the
# `transitions` library the engine compiles to; a stable sort sends that folder to the back.
sys.path.sort(
    key=lambda entry: os.path.abspath(entry or ".") == os.path.dirname(os.path.abspath(__file__))
)

import argparse
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import psycopg
from sqlalchemy.engine import make_url

from states.clock import FakeClock
from states.definitions.loader import load_text
from states.persistence.db import SQLITE_PRAGMAS, make_engine
from states.persistence.migrate import upgrade
from states.persistence.store import AuditStore
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services import audits, partnership
from states.services.deps import Deps

AUDIT_TYPE = "bench_flip"
# Two states flip-flopping with one role gate each, so every transition costs the same; the
# final state only makes the graph valid (every state must be able to finish).
DEFINITION_YAML = """\
schema_version: 1
audit_type: bench_flip
title: Benchmark flip-flop
description: Two states that swap back and forth so every transition costs the same.
framework_reference: Benchmark only, not part of the framework
tool: bench_tool
roles: [coordinator]
states:
  - name: drafting
    title: Drafting
    initial: true
  - name: reviewing
    title: Reviewing
  - name: closed
    title: Closed
    final: true
transitions:
  - trigger: submit
    title: Submit for review
    source: drafting
    dest: reviewing
    roles: [coordinator]
  - trigger: revise
    title: Return for revision
    source: reviewing
    dest: drafting
    roles: [coordinator]
  - trigger: close
    title: Close
    source: [drafting, reviewing]
    dest: closed
    roles: [coordinator]
"""
NEXT = {"drafting": ("submit", "reviewing"), "reviewing": ("revise", "drafting")}
START = datetime(2026, 1, 5, 9, tzinfo=UTC)
TICK = timedelta(milliseconds=1)
DEFAULT_N = {"sqlite": 2000, "postgresql": 1000}
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"

# The statements the engine's store issues, written out for the bare drivers ("?" for sqlite3,
# "%s" for psycopg). Column lists match states.persistence.store so both sides move the same bytes.
SELECT_AUDIT = (
    "SELECT id, reference, audit_type, theme, definition_hash, tool_hash, state, version, "
    "state_round, lead_id, started_on, state_entered_at FROM audit_cycle WHERE id = ?"
)
SELECT_ACTOR = (
    "SELECT person.id, person.name, person.agency_id, person_role.role FROM person "
    "LEFT OUTER JOIN person_role ON person_role.person_id = person.id WHERE person.id = ?"
)
UPDATE_AUDIT = (
    "UPDATE audit_cycle SET state = ?, version = ?, state_round = ?, state_entered_at = ?, "
    "closed_at = ? WHERE audit_cycle.id = ? AND audit_cycle.version = ?"
)
INSERT_EVENT = (
    "INSERT INTO audit_event (audit_id, version, at, actor_id, trigger, from_state, to_state, "
    "reason, definition_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class Fixture:
    audit_id: int
    actor_id: int


class Stepper(Protocol):
    name: str

    def step(self) -> None: ...


def catalogue() -> Catalogue:
    return Catalogue({AUDIT_TYPE: load_text(DEFINITION_YAML, f"{AUDIT_TYPE}.yaml")})


def seed(deps: Deps) -> Fixture:
    """One agency, one coordinator, one audit in 'drafting': the rows both sides work on."""
    partnership.add_agency(deps, code="police", name="Greater Manchester Police", kind="police")
    actor_id = partnership.add_person(
        deps,
        name="Casey Coordinator",
        email="coord@example.org",
        roles=["coordinator"],
        agency="police",
    )
    started = audits.start_audit(
        deps,
        audit_type=AUDIT_TYPE,
        theme="Benchmark",
        lead=actor_id,
        actor=actor_id,
    )
    return Fixture(audits_id(deps, started.reference), actor_id)


def audits_id(deps: Deps, reference: str) -> int:
    with deps.uow(readonly=True) as uow:
        return AuditStore(uow.connection).load_audit(reference).id


def prepared_deps(url: str) -> tuple[Deps, FakeClock]:
    engine = make_engine(url)
    upgrade(engine)
    clock = FakeClock(START)
    return Deps(UnitOfWorkFactory(engine), catalogue(), clock), clock


class EngineStepper:
    """One call is one persisted transition through the real service layer."""

    name = "states.services.audits.fire"

    def __init__(self, url: str) -> None:
        self.deps, self.clock = prepared_deps(url)
        self.fixture = seed(self.deps)
        self.state = "drafting"

    def step(self) -> None:
        trigger, _ = NEXT[self.state]
        self.clock.advance(TICK)
        fired = audits.fire(
            self.deps, audit=self.fixture.audit_id, trigger=trigger, actor=self.fixture.actor_id
        )
        self.state = fired.to_state

    def close(self) -> None:
        self.deps.uow.engine.dispose()


class SqliteBaseline:
    """The same five statements through sqlite3, same pragmas, BEGIN IMMEDIATE each time."""

    name = "sqlite3, BEGIN IMMEDIATE"

    def __init__(self, path: Path, fixture: Fixture) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        for pragma in SQLITE_PRAGMAS:
            self.db.execute(pragma)
        self.fixture = fixture
        self.at = START

    def step(self) -> None:
        self.at += TICK
        at = f"{self.at:%Y-%m-%d %H:%M:%S.%f}"  # SQLAlchemy's SQLite DATETIME text form
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            audit_row = db.execute(SELECT_AUDIT, (self.fixture.audit_id,)).fetchone()
            actor_rows = db.execute(SELECT_ACTOR, (self.fixture.actor_id,)).fetchall()
            params = transition_params(audit_row, actor_rows, at)
            if db.execute(UPDATE_AUDIT, params.update).rowcount != 1:
                raise RuntimeError("version conflict")
            db.execute(INSERT_EVENT, params.event)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()


class PostgresBaseline:
    """The same five statements through psycopg 3, one transaction each."""

    name = "psycopg 3"

    def __init__(self, url: str, schema: str, fixture: Fixture) -> None:
        self.db = psycopg.connect(url, options=f"-c search_path={schema}")
        self.cursor = self.db.cursor()
        self.fixture = fixture
        self.at = START
        self.sql = {name: sql.replace("?", "%s") for name, sql in _STATEMENTS.items()}
        # The engine locks the audit row as a writer reads it on PostgreSQL; so does this.
        self.sql["audit"] += " FOR UPDATE"

    def step(self) -> None:
        self.at += TICK
        cursor, sql = self.cursor, self.sql
        try:
            cursor.execute(sql["audit"], (self.fixture.audit_id,))
            audit_row = cursor.fetchone()
            cursor.execute(sql["actor"], (self.fixture.actor_id,))
            params = transition_params(audit_row, cursor.fetchall(), self.at)
            cursor.execute(sql["update"], params.update)
            if cursor.rowcount != 1:
                raise RuntimeError("version conflict")
            cursor.execute(sql["event"], params.event)
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise

    def close(self) -> None:
        self.db.close()


_STATEMENTS = {
    "audit": SELECT_AUDIT,
    "actor": SELECT_ACTOR,
    "update": UPDATE_AUDIT,
    "event": INSERT_EVENT,
}


@dataclass(frozen=True)
class Params:
    update: tuple[Any, ...]
    event: tuple[Any, ...]


def transition_params(audit_row: Any, actor_rows: list[Any], at: Any) -> Params:
    """The least the baseline must decide: role check, next state, new version."""
    audit_id, _ref, _type, _theme, definition_hash, _tool, state, version = audit_row[:8]
    if not any(row[3] == "coordinator" for row in actor_rows):
        raise RuntimeError("actor is not a coordinator")
    trigger, to_state = NEXT[state]
    new_version = version + 1
    return Params(
        update=(to_state, new_version, new_version, at, None, audit_id, version),
        event=(
            audit_id,
            new_version,
            at,
            actor_rows[0][0],
            trigger,
            state,
            to_state,
            None,
            definition_hash,
        ),
    )


def rate(stepper: Stepper, n: int) -> float:
    """Transitions per second over n steps."""
    started = time.perf_counter()
    for _ in range(n):
        stepper.step()
    return n / (time.perf_counter() - started)


def round_rates(
    engine: Stepper, baseline: Stepper, n: int, rounds: int
) -> tuple[list[float], list[float]]:
    """Warm both (statement caches, prepared statements, pages), then alternate timed rounds."""
    warm = max(50, n // 10)
    rate(engine, warm)
    rate(baseline, warm)
    engine_rates: list[float] = []
    baseline_rates: list[float] = []
    for _ in range(rounds):
        engine_rates.append(rate(engine, n))
        baseline_rates.append(rate(baseline, n))
    return engine_rates, baseline_rates


def report(store: str, engine: Stepper, baseline: Stepper, n: int, rounds: int) -> None:
    engine_rates, baseline_rates = round_rates(engine, baseline, n, rounds)
    pairs = zip(engine_rates, baseline_rates, strict=True)
    shown = ", ".join(f"{mine:,.0f}/{floor:,.0f}" for mine, floor in pairs)
    print(f"rounds (engine/baseline): {shown}")
    print(f"engine ({engine.name}): {max(engine_rates):,.0f} transitions/s")
    print(f"baseline ({baseline.name}): {max(baseline_rates):,.0f} transitions/s")
    print(f"store: {store}")
    print(f"ratio: {max(engine_rates) / max(baseline_rates):.2f}")


def bench_sqlite(n: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="oscp-bench-") as folder:
        engine = EngineStepper(f"sqlite:///{folder}/engine.db")
        baseline_path = Path(folder) / "baseline.db"
        baseline_deps, _ = prepared_deps(f"sqlite:///{baseline_path}")
        fixture = seed(baseline_deps)
        baseline_deps.uow.engine.dispose()
        baseline = SqliteBaseline(baseline_path, fixture)
        try:
            print(f"SQLite (temporary file, WAL, synchronous=NORMAL), n={n}, best of {rounds}")
            report("sqlite", engine, baseline, n, rounds)
        finally:
            engine.close()
            baseline.close()


@contextmanager
def pg_schema(url: str) -> Iterator[str]:
    """A fresh, uniquely named schema, dropped with everything in it afterwards."""
    schema = f"oscp_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def in_schema(url: str, schema: str) -> str:
    """The URL with search_path set, so migrations and queries stay inside the schema."""
    return (
        make_url(url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


def pg_reachable(url: str) -> str | None:
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def bench_postgres(url: str, n: int, rounds: int) -> None:
    problem = pg_reachable(url)
    if problem is not None:
        print(f"PostgreSQL skipped: {url} is unreachable ({problem})")
        return
    with pg_schema(url) as engine_schema, pg_schema(url) as baseline_schema:
        engine = EngineStepper(in_schema(url, engine_schema))
        baseline_deps, _ = prepared_deps(in_schema(url, baseline_schema))
        fixture = seed(baseline_deps)
        baseline_deps.uow.engine.dispose()
        baseline = PostgresBaseline(url, baseline_schema, fixture)
        try:
            print(f"PostgreSQL ({make_url(url).render_as_string()}), n={n}, best of {rounds}")
            report("postgresql", engine, baseline, n, rounds)
        finally:
            engine.close()
            baseline.close()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--n",
        type=int,
        default=None,
        help="transitions per timed round (default 2000 SQLite, 1000 PostgreSQL)",
    )
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds; the best counts")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    runs: dict[str, Callable[[int], None]] = {
        "sqlite": lambda n: bench_sqlite(n, args.rounds),
        "postgresql": lambda n: bench_postgres(args.postgres_url, n, args.rounds),
    }
    chosen = [store for store in runs if args.only in (None, store)]
    for index, store in enumerate(chosen):
        if index:
            print()
        runs[store](args.n or DEFAULT_N[store])


if __name__ == "__main__":
    main()
