"""A simulated year at national volume, and how its cost grows with what exists.

Run: ``python -m bench.year [--partnerships 150] [--growth 15,50,150]
[--postgres-url URL] [--sqlite]``

One engine on PostgreSQL (a fresh schema) holds the nation's directory
(``bench.year.nation``: 150 partnerships' worth is 2,250 agencies, 22,050 settings and
about 25,800 people) and lives April 2026 to March 2027 on the fake clock
(``bench.year.simulation``): about 2,250 audits of every type started as each programme
would (``bench.year.plan``), the worker's sweep and relay ticking, every e-mail through a
real SMTP server on loopback, agencies and settings answering by link (some late, so
reminders and escalations go), sign-off members deciding by link (some refusing), actions
evidenced by link, a few of them late. The year's checks (``bench.year.checks``) must all
hold. Printed: the time of each phase, the counts, peak RSS, and with ``--growth`` each
size's time and ``growth: X`` = (time at the largest / time at the smallest) divided by
their ratio of size (1.0 is linear; the goal is at most 1.2).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench.transitions import in_schema, pg_reachable, pg_schema
from bench.year.checks import failures
from bench.year.mailbox import MailServer
from bench.year.nation import load_nation
from bench.year.plan import YEAR_STARTS, year_plan
from bench.year.simulation import Year
from bench.year.statements import Statements
from oscp_flow.settings import PROJECT_ROOT
from states.clock import FakeClock
from states.persistence import tables as t
from states.persistence.db import make_engine
from states.persistence.migrate import upgrade
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services.deps import Deps

# Prefect, if asked for: offline and quiet.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
BEFORE_THE_YEAR = datetime.combine(YEAR_STARTS, datetime.min.time(), UTC)


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    if args.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'year.db'}"
        return
    problem = pg_reachable(args.postgres_url)
    if problem is not None:
        sys.exit(f"PostgreSQL is not reachable at {args.postgres_url} ({problem}); start it.")
    with pg_schema(args.postgres_url) as schema:
        yield in_schema(args.postgres_url, schema)


def deps_for(url: str) -> tuple[Deps, FakeClock]:
    engine = make_engine(url)
    upgrade(engine)
    root = PROJECT_ROOT / "definitions"
    catalogue = Catalogue.from_directory(root / "audit_types", root / "tools")
    clock = FakeClock(BEFORE_THE_YEAR)
    return Deps(UnitOfWorkFactory(engine), catalogue, clock), clock


def months_on(day: date, months: int) -> date:
    month = day.year * 12 + day.month - 1 + months
    return date(month // 12, month % 12 + 1, day.day)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_year(partnerships: int, args: argparse.Namespace) -> float:
    """Lives the year at ``partnerships``' volume; returns its seconds (directory excluded).
    With ``--prefect`` each tick's work is Prefect flow runs on a throw-away Prefect server,
    whose size is reported at the end."""
    if not args.prefect:
        return _one_year(partnerships, args)
    from prefect.testing.utilities import prefect_test_harness

    from workflows.prefect_size import prefect_size

    with prefect_test_harness():
        seconds = _one_year(partnerships, args)
        size = prefect_size()
        print(
            f"  Prefect after the year: {size.flow_runs:,} flow runs, "
            f"{size.database_bytes / 2**20:.1f} MB ({size.database})"
        )
    return seconds


def _one_year(partnerships: int, args: argparse.Namespace) -> float:
    with database(args) as url, MailServer() as server:
        deps, clock = deps_for(url)
        statements = Statements()
        if args.statements:
            statements.watch(deps.uow.engine)
        loading = time.perf_counter()
        load_nation(deps, max(partnerships, args.directory or 0))
        loaded = time.perf_counter() - loading
        plans = year_plan(partnerships)
        year = Year(deps, clock, server, through_prefect=args.prefect)
        started = time.perf_counter()
        last_day = months_on(YEAR_STARTS, args.months) - timedelta(days=1)
        year.live([p for p in plans if p.on <= last_day], last_day=last_day)
        seconds = time.perf_counter() - started
        server.close()
        checking = time.perf_counter()
        found = failures(deps, server.tallies, year.audits)
        report(
            partnerships,
            deps,
            year,
            server,
            loaded=loaded,
            seconds=seconds,
            checked=time.perf_counter() - checking,
        )
        deps.uow.engine.dispose()
    for seconds_, calls, sql in statements.top():
        print(f"  {seconds_:7.2f} s {calls:7,} x {sql[:300]}")
    for failure in found:
        print(f"FAILED: {failure}")
    if found:
        sys.exit(1)
    return seconds


def report(
    partnerships: int,
    deps: Deps,
    year: Year,
    server: MailServer,
    *,
    loaded: float,
    seconds: float,
    checked: float,
) -> None:
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        counts = {
            name: c.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in (
                ("agencies", t.agency),
                ("people", t.person),
                ("audits", t.audit),
                ("returns", t.audit_return),
                ("events", t.event),
                ("e-mails", t.outbox),
                ("concerns", t.escalation),
                ("actions", t.action),
            )
        }
        grouped = select(t.audit.c.state, func.count()).group_by(t.audit.c.state)
        states = {str(s): int(n) for s, n in c.execute(grouped)}
    print(f"\n{partnerships} partnerships: " + ", ".join(f"{n:,} {k}" for k, n in counts.items()))
    print("  audits at the year's end: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items())))
    print(
        f"  people acted by link: {dict(year.people.done)}; links no longer needed: "
        f"{dict(year.people.not_needed)}"
    )
    print(
        f"  desks: {year.desk.steps:,} steps, {year.desk.blocked:,} held by a gate; "
        f"{year.ticks:,} ticks, "
        f"{server.tallies.connections:,} SMTP connections"
    )
    for audit in [a for a in year.audits if not a.closed][:12]:
        print(f"    open: {audit.kind} {audit.waiting_for[:150]}")
    print(f"  directory import {loaded:.1f} s; the year {seconds:.1f} s; checks {checked:.1f} s")
    for phase, spent in sorted(year.phases.seconds.items(), key=lambda kv: -kv[1]):
        print(f"    {phase:<28} {spent:8.1f} s")
    print(f"  peak RSS {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partnerships", type=int, default=150)
    parser.add_argument("--growth", default=None, help="sizes to compare, e.g. 15,50,150")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument(
        "--directory",
        type=int,
        default=None,
        help="a directory of this many partnerships' worth, more than those whose year is lived",
    )
    parser.add_argument(
        "--prefect", action="store_true", help="tick through Prefect flow runs, and size them"
    )
    parser.add_argument(
        "--months",
        type=int,
        default=12,
        choices=range(1, 13),
        metavar="1-12",
        help="live only the year's first months (the checks then allow work still under way)",
    )
    parser.add_argument("--statements", action="store_true", help="print the costliest SQL")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead")
    args = parser.parse_args()
    if args.growth is None:
        one_year(args.partnerships, args)
        return
    sizes = sorted(int(n) for n in args.growth.split(","))
    times = {n: one_year(n, args) for n in sizes}
    for n, seconds in times.items():
        print(f"{n:>4} partnerships: {seconds:.1f} s")
    small, large = sizes[0], sizes[-1]
    print(f"growth: {(times[large] / times[small]) / (large / small):.2f}")


if __name__ == "__main__":
    main()
