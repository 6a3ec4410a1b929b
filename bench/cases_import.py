"""Importing a cases list: the sampling service against a bare executemany of the same rows.

Run: ``.venv/bin/python -m bench.cases_import [--cases N] [--rounds R] [--postgres-url URL]
[--only sqlite|postgresql]``

Each round starts two MACE audits through the services (demo partnership). Into the first,
``sampling.select_sample`` draws N cases by list (``oscp audit sample AUDIT cases.csv``
without the file): it checks every reference and agency, writes the cases and the agencies
involved with each, records the draw and bumps the audit with its event, in one unit of
work. Into the second, the bare driver (``sqlite3`` / ``psycopg``) writes the same case and
case-agency rows with ``executemany`` in one transaction, the agency ids already known. Rounds
alternate the two and the best of each is kept. ratio = bare time / service time, so 1.0
means the service adds nothing to the rows' own cost.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import select

from bench.transitions import in_schema, pg_reachable, pg_schema
from oscp_flow.rehearsal.demo import email, load_demo_partnership
from oscp_flow.settings import PROJECT_ROOT
from states.clock import FakeClock
from states.persistence import tables as t
from states.persistence.db import SQLITE_PRAGMAS, make_engine
from states.persistence.migrate import upgrade
from states.persistence.store import AuditStore
from states.persistence.uow import UnitOfWorkFactory
from states.rules.case_list import CaseCandidate
from states.rules.catalogue import Catalogue
from states.services import audits, sampling
from states.services.deps import Deps

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
AGENCIES = ("police", "csc", "community_health", "acute", "camhs", "schools", "early_help")
INSERT_CASE = (
    "INSERT INTO case_record (audit_id, reference, first_intervention_on, last_intervention_on) "
    "VALUES (?, ?, ?, ?)"
)
SELECT_CASES = "SELECT reference, id FROM case_record WHERE audit_id = ?"
INSERT_CASE_AGENCY = "INSERT INTO case_agency (case_id, agency_id) VALUES (?, ?)"
BareImport = Callable[[int, Sequence[CaseCandidate], dict[str, int]], None]


def candidates(n: int) -> list[CaseCandidate]:
    """Fictional pseudonymous cases, each with two agencies, within the last year."""
    return [
        CaseCandidate(
            f"BENCH-{i:06d}",
            agencies=(AGENCIES[i % len(AGENCIES)], AGENCIES[(i + 3) % len(AGENCIES)]),
            first_intervention_on=date(2025, 6, 1),
            last_intervention_on=date(2026, 1, 1 + i % 28),
        )
        for i in range(n)
    ]


def prepared(url: str) -> Deps:
    engine = make_engine(url)
    upgrade(engine)
    root = PROJECT_ROOT / "definitions"
    catalogue = Catalogue.from_directory(root / "audit_types", root / "tools")
    deps = Deps(UnitOfWorkFactory(engine), catalogue, FakeClock(START))
    load_demo_partnership(deps)
    return deps


def new_audit(deps: Deps) -> tuple[str, int]:
    started = audits.start_audit(
        deps,
        audit_type="mace",
        theme="Cases import benchmark",
        lead=email("chair"),
        actor=email("coordinator"),
        agencies=["police", "csc"],
    )
    with deps.uow(readonly=True) as uow:
        return started.reference, AuditStore(uow.connection).load_audit(started.reference).id


def agency_ids(deps: Deps) -> dict[str, int]:
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(select(t.agency.c.code, t.agency.c.id))
        return {code: int(agency_id) for code, agency_id in rows}


def by_service(deps: Deps, cases: Sequence[CaseCandidate]) -> float:
    reference, _ = new_audit(deps)
    started = time.perf_counter()
    draw = sampling.select_sample(
        deps, audit=reference, actor=email("coordinator"), candidates=cases, method="list"
    )
    seconds = time.perf_counter() - started
    assert len(draw.chosen) == len(cases)
    return seconds


def case_agency_rows(
    cases: Sequence[CaseCandidate], ids: dict[str, int], agencies: dict[str, int]
) -> list[tuple[int, int]]:
    return [(ids[c.reference], agencies[code]) for c in cases for code in c.agencies]


def sqlite_bare(path: Path) -> BareImport:
    def run(audit_id: int, cases: Sequence[CaseCandidate], agencies: dict[str, int]) -> None:
        db = sqlite3.connect(path, isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            db.execute(pragma)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(INSERT_CASE, [_case_row(audit_id, c, str) for c in cases])
            ids = dict(db.execute(SELECT_CASES, (audit_id,)).fetchall())
            db.executemany(INSERT_CASE_AGENCY, case_agency_rows(cases, ids, agencies))
            db.execute("COMMIT")
        finally:
            db.close()

    return run


def postgres_bare(url: str, schema: str) -> BareImport:
    def run(audit_id: int, cases: Sequence[CaseCandidate], agencies: dict[str, int]) -> None:
        with psycopg.connect(url, options=f"-c search_path={schema}") as db, db.cursor() as cur:
            cur.executemany(
                INSERT_CASE.replace("?", "%s"), [_case_row(audit_id, c, None) for c in cases]
            )
            cur.execute(SELECT_CASES.replace("?", "%s"), (audit_id,))
            ids: dict[str, int] = dict(cur.fetchall())
            cur.executemany(
                INSERT_CASE_AGENCY.replace("?", "%s"), case_agency_rows(cases, ids, agencies)
            )

    return run


def _case_row(
    audit_id: int, case: CaseCandidate, as_text: Callable[[date], str] | None
) -> tuple[Any, ...]:
    """sqlite3 gets dates as the ISO text SQLAlchemy stores; psycopg takes date objects."""
    dates = (case.first_intervention_on, case.last_intervention_on)
    shown = [d if as_text is None or d is None else as_text(d) for d in dates]
    return (audit_id, case.reference, *shown)


def by_bare(deps: Deps, bare: BareImport, cases: Sequence[CaseCandidate]) -> float:
    _, audit_id = new_audit(deps)
    agencies = agency_ids(deps)
    started = time.perf_counter()
    bare(audit_id, cases, agencies)
    return time.perf_counter() - started


def report(store: str, deps: Deps, bare: BareImport, n: int, rounds: int) -> None:
    cases = candidates(n)
    service_times: list[float] = []
    bare_times: list[float] = []
    for _ in range(rounds):
        service_times.append(by_service(deps, cases))
        bare_times.append(by_bare(deps, bare, cases))
    shown = ", ".join(f"{s:.2f}/{b:.2f}" for s, b in zip(service_times, bare_times, strict=True))
    print(f"rounds (service/bare seconds): {shown}")
    print(f"service (sampling.select_sample): {n / min(service_times):,.0f} cases/s")
    print(f"bare executemany: {n / min(bare_times):,.0f} cases/s")
    print(f"store: {store}")
    print(f"ratio: {min(bare_times) / min(service_times):.2f}")


def bench_sqlite(n: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="oscp-bench-") as folder:
        path = Path(folder) / "cases.db"
        deps = prepared(f"sqlite:///{path}")
        try:
            print(f"SQLite (temporary file, WAL), {n:,} cases, best of {rounds}")
            report("sqlite", deps, sqlite_bare(path), n, rounds)
        finally:
            deps.uow.engine.dispose()


def bench_postgres(url: str, n: int, rounds: int) -> None:
    problem = pg_reachable(url)
    if problem is not None:
        print(f"PostgreSQL skipped: {url} is unreachable ({problem})")
        return
    with pg_schema(url) as schema:
        deps = prepared(in_schema(url, schema))
        try:
            print(f"PostgreSQL, {n:,} cases, best of {rounds}")
            report("postgresql", deps, postgres_bare(url, schema), n, rounds)
        finally:
            deps.uow.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the best counts")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    args = parser.parse_args()
    runs: dict[str, Callable[[], None]] = {
        "sqlite": lambda: bench_sqlite(args.cases, args.rounds),
        "postgresql": lambda: bench_postgres(args.postgres_url, args.cases, args.rounds),
    }
    for index, store in enumerate(s for s in runs if args.only in (None, s)):
        if index:
            print()
        runs[store]()


if __name__ == "__main__":
    main()
