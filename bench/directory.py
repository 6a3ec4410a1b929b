"""Importing a directory: the real path against a plain bulk insert of the same rows.

Run: ``.venv/bin/python -m bench.directory [--people N] [--settings N] [--rounds R]
[--postgres-url URL] [--only sqlite|postgresql]``

The directory is invented: 12 agencies (the three statutory partners among them), N settings
with URNs and N people with an agency or setting and one or two roles each. It is written once
to a workbook, as ``oscp directory export`` writes one. Each round makes a fresh store (a
temporary SQLite file, or a new PostgreSQL schema) with a coordinator in it, and in it:

* the import, as ``oscp directory import`` runs it: read the workbook (openpyxl, read-only,
  every cell checked for formulas), check every row against the directory
  (``read_directory``), work out the plan (``plan_import``, after ``directory.snapshot``)
  and store it (``directory.apply_plan``: the lock, the coordinator's permission, the re-check
  of the plan against the directory, the rows and one log row per change, one transaction);
* the same agencies, settings, people and roles (under other keys) by SQLAlchemy Core
  ``insert`` with executemany, in one transaction, the ids read back between tables.

The two alternate in order from round to round, and the best of each is kept. ratio = bulk
time / import time, so 1.0 would mean the import costs no more than the rows themselves; each
stage of the import is timed too, so a low ratio says where the time goes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, insert, select

from bench.transitions import in_schema, pg_reachable, pg_schema
from oscp_flow.excel.directory_io import read_files
from oscp_flow.excel.directory_writer import directory_workbook
from oscp_flow.settings import PROJECT_ROOT
from states.clock import FakeClock
from states.persistence import tables as t
from states.persistence.db import make_engine
from states.persistence.migrate import upgrade
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.rules.directory import (
    AgencyEntry,
    AgencyKind,
    Directory,
    PersonEntry,
    Phase,
    SettingEntry,
)
from states.rules.directory_plan import plan_import
from states.rules.directory_rows import read_directory
from states.services import directory, partnership
from states.services.deps import Deps

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
COORDINATOR = "coordinator.bench@example.org"
KINDS = (
    AgencyKind.LOCAL_AUTHORITY,
    AgencyKind.POLICE,
    AgencyKind.INTEGRATED_CARE_BOARD,
    AgencyKind.HEALTH_TRUST,
    AgencyKind.HEALTH_SERVICE,
    AgencyKind.HEALTH_SERVICE,
    AgencyKind.JUSTICE,
    AgencyKind.HOUSING,
    AgencyKind.VOLUNTARY_SECTOR,
    AgencyKind.VOLUNTARY_SECTOR,
    AgencyKind.LOCAL_AUTHORITY,
    AgencyKind.OTHER,
)
ROLE_SETS = (
    frozenset({"agency_lead"}),
    frozenset({"agency_lead", "strategic_lead"}),
    frozenset({"auditor"}),
    frozenset({"agency_lead", "auditor"}),
)
SETTING_KINDS = (
    (AgencyKind.SCHOOL, Phase.PRIMARY),
    (AgencyKind.SCHOOL, Phase.SECONDARY),
    (AgencyKind.EARLY_YEARS, Phase.EARLY_YEARS),
    (AgencyKind.COLLEGE, Phase.POST_16),
)


def invented(people: int, settings: int, prefix: str = "bn") -> Directory:
    """A fictional partnership's directory; ``prefix`` keeps two copies' keys apart."""
    agencies = {
        f"{prefix}_a{i:02d}": AgencyEntry(f"{prefix}_a{i:02d}", f"Benchmoor Agency {i}", kind)
        for i, kind in enumerate(KINDS)
    }
    base = 1_000_000 if prefix == "bn" else 2_000_000
    found = {}
    for i in range(settings):
        kind, phase = SETTING_KINDS[i % len(SETTING_KINDS)]
        urn = str(base + i)
        found[urn] = SettingEntry(urn, f"{prefix}_s{i:05d}", f"Benchmoor Setting {i}", kind, phase)
    codes = [*agencies, *(s.code for s in found.values())]
    staff = {}
    for i in range(people):
        email = f"p{i:05d}.{prefix}@example.org"
        agency = codes[i % len(codes)]
        staff[email] = PersonEntry(email, f"Person {i:05d}", agency, ROLE_SETS[i % len(ROLE_SETS)])
    return Directory(agencies=agencies, settings=found, people=staff)


@dataclass
class Times:
    """Seconds per stage of one import, and the bulk insert's."""

    stages: dict[str, float] = field(default_factory=dict)
    bulk: float = 0.0

    @property
    def imported(self) -> float:
        return sum(self.stages.values())


@contextmanager
def timed(times: dict[str, float], stage: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    times[stage] = time.perf_counter() - started


def by_import(deps: Deps, book: Path) -> dict[str, float]:
    """The path of ``oscp directory import BOOK``, stage by stage."""
    stages: dict[str, float] = {}
    with timed(stages, "read workbook"):
        files = read_files([book])
    with timed(stages, "snapshot"):
        current = directory.snapshot(deps, viewer=COORDINATOR)
    with timed(stages, "check rows"):
        incoming = read_directory(files.parts, current)
    with timed(stages, "plan"):
        plan = plan_import(current, incoming, files.given)
    with timed(stages, "apply_plan"):
        directory.apply_plan(deps, plan=plan, actor=COORDINATOR, reason="Benchmark import")
    return stages


def _ids(c: Connection, key: Column[Any], keys: list[str]) -> dict[str, int]:
    """Row ids by key, read back as a bulk load must (executemany returns no ids)."""
    table = key.table
    rows = c.execute(select(key, table.c.id).where(key.in_(keys)))
    return {str(k): int(v) for k, v in rows}


def by_bulk(deps: Deps, rows: Directory) -> float:
    """The same rows by Core ``insert`` executemany, one transaction, ids read back."""
    agencies = [
        {"code": a.code, "name": a.name, "kind": a.kind.value, "urn": None, "phase": None}
        for a in rows.agencies.values()
    ] + [
        {"code": s.code, "name": s.name, "kind": s.kind.value, "urn": s.urn, "phase": s.phase.value}
        for s in rows.settings.values()
    ]
    started = time.perf_counter()
    with deps.uow() as uow:
        c = uow.connection
        c.execute(insert(t.agency), agencies)
        agency_ids = _ids(c, t.agency.c.code, [str(a["code"]) for a in agencies])
        c.execute(
            insert(t.person),
            [
                {"name": p.name, "email": p.email, "agency_id": agency_ids[p.agency or ""]}
                for p in rows.people.values()
            ],
        )
        person_ids = _ids(c, t.person.c.email, list(rows.people))
        c.execute(
            insert(t.role),
            [
                {"person_id": person_ids[p.email], "role": role}
                for p in rows.people.values()
                for role in sorted(p.roles)
            ],
        )
        uow.commit()
    return time.perf_counter() - started


def prepared(url: str) -> Deps:
    engine = make_engine(url)
    upgrade(engine)
    root = PROJECT_ROOT / "definitions"
    catalogue = Catalogue.from_directory(root / "audit_types", root / "tools")
    deps = Deps(UnitOfWorkFactory(engine), catalogue, FakeClock(START))
    partnership.add_person(deps, name="Bench Coordinator", email=COORDINATOR, roles=["coordinator"])
    return deps


def one_round(url: str, book: Path, twin: Directory, *, bulk_first: bool) -> Times:
    deps = prepared(url)
    try:
        times = Times()
        if bulk_first:
            times.bulk = by_bulk(deps, twin)
        times.stages = by_import(deps, book)
        if not bulk_first:
            times.bulk = by_bulk(deps, twin)
        return times
    finally:
        deps.uow.engine.dispose()


def report(store: str, rounds: list[Times], people: int, settings: int) -> None:
    best = min(rounds, key=lambda r: r.imported)
    bulk = min(r.bulk for r in rounds)
    shown = ", ".join(f"{r.imported:.2f}/{r.bulk:.2f}" for r in rounds)
    print(f"rounds (import/bulk seconds): {shown}")
    stages = ", ".join(f"{name} {seconds:.2f}" for name, seconds in best.stages.items())
    print(f"best import, by stage (s): {stages}")
    rows = people + settings + len(KINDS)
    print(
        f"import (workbook -> rows -> plan -> apply_plan): {best.imported:.2f} s, "
        f"{rows / best.imported:,.0f} entries/s"
    )
    print(f"bulk insert (Core executemany): {bulk:.2f} s, {rows / bulk:,.0f} entries/s")
    # openpyxl's parsing is most of the import; what the engine adds is the rest.
    rest = best.imported - best.stages["read workbook"]
    print(f"ratio past reading the workbook (bulk / import without it): {bulk / rest:.2f}")
    print(f"store: {store}")
    print(f"ratio: {bulk / best.imported:.2f}")


def run(store: str, urls: Callable[[], Generator[str]], args: argparse.Namespace) -> None:
    people, settings = args.people, args.settings
    with tempfile.TemporaryDirectory(prefix="oscp-bench-") as folder:
        book = Path(folder) / "directory.xlsx"
        book.write_bytes(directory_workbook(invented(people, settings)))
        twin = invented(people, settings, prefix="bk")
        rounds = []
        with closing(urls()) as stores:  # closing drops the last PostgreSQL schema too
            for n, url in zip(range(args.rounds), stores, strict=False):
                rounds.append(one_round(url, book, twin, bulk_first=n % 2 == 1))
        print(
            f"{store}: {people:,} people, {settings:,} settings, {len(KINDS)} agencies; "
            f"best of {args.rounds}"
        )
        report(store, rounds, people, settings)


def sqlite_urls(folder: Path) -> Generator[str]:
    n = 0
    while True:
        n += 1
        yield f"sqlite:///{folder / f'directory-{n}.db'}"


def postgres_urls(url: str) -> Generator[str]:
    while True:
        with pg_schema(url) as schema:
            yield in_schema(url, schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--settings", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the best counts")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    args = parser.parse_args()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="oscp-bench-") as folder:
            run("sqlite", lambda: sqlite_urls(Path(folder)), args)
    if args.only in (None, "postgresql"):
        problem = pg_reachable(args.postgres_url)
        if problem is not None:
            print(f"PostgreSQL skipped: {args.postgres_url} is unreachable ({problem})")
            return
        if args.only is None:
            print()
        run("postgresql", lambda: postgres_urls(args.postgres_url), args)


if __name__ == "__main__":
    main()
