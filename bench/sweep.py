"""The reminder sweep's cost follows what is due, not what exists.

Run: ``python -m bench.sweep [--due 1000] [--small 10000] [--large 1000000]``

Two fresh SQLite databases hold the same 1,000 due reminder rungs among 10,000 and among
1,000,000 open deadlines (the rest due in the future). The sweep — find due rungs by index,
work out who still owes the work, queue each message, mark the rung — runs once on each and
the ratio of the two times is printed (the design asks for at most 2). Deadlines and rungs
are bulk-inserted as the rows the services write, behind one audit started through the
services; building a million rows this way takes a minute rather than hours.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, insert

from states.clock import FakeClock
from states.definitions.loader import load_text
from states.persistence import tables as t
from states.persistence.db import make_engine
from states.persistence.migrate import upgrade
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services import audits, partnership
from states.services.deps import Deps
from states.services.sweep import sweep

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CHUNK = 50_000
DEFINITION = """\
schema_version: 1
audit_type: bench_deadlines
title: Benchmark deadlines
description: One state whose deadline the chair owes, with a reminder the day before.
framework_reference: Benchmark only, not part of the framework
tool: bench_tool
roles: [coordinator, chair]
states:
  - name: drafting
    title: Drafting
    initial: true
    deadline:
      name: draft_due
      working_days: 5
      owed_by: chair
      reminders:
        before_working_days: [1]
        remind: [chair]
  - name: closed
    title: Closed
    final: true
transitions:
  - trigger: close
    title: Close
    source: drafting
    dest: closed
    roles: [coordinator]
"""


def build(folder: Path, open_deadlines: int, due: int) -> Deps:
    engine = make_engine(f"sqlite:///{folder / f'sweep-{open_deadlines}.db'}")
    upgrade(engine)
    catalogue = Catalogue({"bench_deadlines": load_text(DEFINITION, "bench_deadlines.yaml")})
    clock = FakeClock(NOW - timedelta(days=1))
    deps = Deps(UnitOfWorkFactory(engine), catalogue, clock)
    partnership.add_person(
        deps, name="Casey Coordinator", email="coord@example.org", roles=["coordinator"]
    )
    reference = audits.start_audit(
        deps,
        audit_type="bench_deadlines",
        theme="Benchmark",
        lead="coord@example.org",
        actor="coord@example.org",
    ).reference
    with deps.uow() as uow:
        audit_id = (
            uow.connection.execute(t.audit.select().where(t.audit.c.reference == reference))
            .one()
            .id
        )
        for start in range(0, open_deadlines, CHUNK):
            _insert_chunk(uow.connection, audit_id, start, min(CHUNK, open_deadlines - start), due)
        uow.commit()
    clock.set(NOW)
    return deps


def _insert_chunk(connection: Connection, audit_id: int, start: int, size: int, due: int) -> None:
    """Deadlines and their one rung each: the first ``due`` rungs are due, the rest later."""
    deadlines = [
        {
            "id": 1_000 + n,
            "audit_id": audit_id,
            "state": "drafting",
            "name": "draft_due",
            "round": 1_000 + n,
            "starts_at": NOW - timedelta(days=3),
            "due_at": NOW + timedelta(days=1),
        }
        for n in range(start, start + size)
    ]
    rungs = [
        {
            "deadline_id": 1_000 + n,
            "audit_id": audit_id,
            "step": "before:1",
            "kind": "reminder",
            "roles": "chair",
            "due_at": NOW - timedelta(minutes=5) if n < due else NOW + timedelta(days=30 + n % 300),
        }
        for n in range(start, start + size)
    ]
    connection.execute(insert(t.deadline), deadlines)
    connection.execute(insert(t.reminder), rungs)


def timed_sweep(deps: Deps) -> tuple[float, int]:
    started = time.perf_counter()
    result = sweep(deps)
    return time.perf_counter() - started, result.messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        timings = {}
        for size in (args.small, args.large):
            built = time.perf_counter()
            deps = build(Path(folder), size, args.due)
            print(
                f"{size:,} open deadlines, {args.due:,} due: built in "
                f"{time.perf_counter() - built:.1f} s"
            )
            seconds, messages = timed_sweep(deps)
            assert messages == args.due, f"expected {args.due} messages, queued {messages}"
            print(f"  sweep: {seconds * 1000:.0f} ms for {messages:,} messages")
            timings[size] = seconds
    print("store: sqlite")
    print(f"ratio: {timings[args.large] / timings[args.small]:.2f}")


if __name__ == "__main__":
    main()
