"""Confirming 350 findings through the engine against a plain SQL UPDATE of the same rows.

Run: ``.venv/bin/python -m bench.moderation [--findings N] [--rounds R]
[--postgres-url URL] [--only sqlite|postgresql]``

Data, the same on both stores: a MACE audit whose sampled cases' returns are bulk inserted as
submission leaves them (``bench.aggregation.bulk_submit``: returns, answers, findings), then
put at moderation with one UPDATE of its state: the bench times confirming, not the way to
moderation, which the tests walk. Timed: ``moderation.confirm_findings`` of the first N
findings by id, as ``oscp findings confirm`` runs it (lock the audit, load the person, their
roles in it, the stage, the targets within reach, the UPDATE, the version and one event, one
commit) against ``UPDATE finding ... WHERE id IN (...)`` on the bare driver in one
transaction. The findings are made unmoderated again between rounds (not timed); the best
round of each counts. ratio = plain SQL time / engine time; the engine must stay well under
a second.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from bench.aggregation import (
    DEFAULT_PG,
    MACE_AGENCIES,
    add_cases,
    bulk_submit,
    canonical,
    new_deps,
    random_answers,
    start,
    tool_of,
)
from bench.transitions import in_schema, pg_reachable, pg_schema
from oscp_flow.rehearsal.demo import email, load_demo_partnership
from states.persistence import tables as t
from states.persistence.db import SQLITE_PRAGMAS
from states.services import moderation
from states.services.deps import Deps

PLAIN_UPDATE = (
    "UPDATE finding SET moderated_rating = original_rating, moderated_at = ?, moderated_by = ? "
    "WHERE moderated_at IS NULL AND id IN ({ids})"
)
# Well under a second for 350 findings: the budget the issue sets for moderation at scale.
BUDGET_SECONDS = 0.5


def build(deps: Deps, wanted: int) -> tuple[str, list[int]]:
    """A MACE audit at moderation with at least ``wanted`` findings; the first ``wanted`` ids."""
    load_demo_partnership(deps)
    reference, audit_id = start(deps, "mace", "Moderation at scale", MACE_AGENCIES)
    tool = tool_of(deps, "mace")
    per_return = sum(1 for _, q in tool.questions() if q.type == "rating" or q.finding)
    rng = random.Random(wanted)
    # Every case is audited by two agencies at least.
    targets = add_cases(deps, audit_id, -(-wanted // (2 * per_return)), rng)
    made = [(tg, canonical(tool, random_answers(tool, rng))) for tg in targets]
    bulk_submit(deps, audit_id, tool, made)
    with deps.uow() as uow:
        uow.connection.execute(
            update(t.audit).where(t.audit.c.id == audit_id).values(state="moderation")
        )
        ids = uow.connection.execute(
            select(t.finding.c.id).where(t.finding.c.audit_id == audit_id).order_by(t.finding.c.id)
        )
        chosen = list(ids.scalars())[:wanted]
        uow.commit()
    assert len(chosen) == wanted, f"only {len(chosen)} findings were made"
    return reference, chosen


def unmoderate(deps: Deps, ids: Sequence[int]) -> None:
    with deps.uow() as uow:
        uow.connection.execute(
            update(t.finding)
            .where(t.finding.c.id.in_(ids))
            .values(moderated_rating=None, moderated_at=None, moderated_by=None)
        )
        uow.commit()


def moderated(deps: Deps, ids: Sequence[int]) -> int:
    with deps.uow(readonly=True) as uow:
        found = uow.connection.execute(
            select(t.finding.c.id).where(
                t.finding.c.id.in_(ids), t.finding.c.moderated_at.is_not(None)
            )
        )
        return len(found.all())


def plain_update(
    connect: Callable[[], Any], placeholder: str, chair: int
) -> Callable[[Sequence[int]], None]:
    """The baseline: one UPDATE of the same rows on a bare DB-API connection, committed."""
    db = connect()

    def run(ids: Sequence[int]) -> None:
        marks = ", ".join([placeholder] * len(ids))
        sql = PLAIN_UPDATE.format(ids=marks).replace("?", placeholder)
        cursor = db.cursor()
        cursor.execute(sql, ("2026-03-02 09:30:00", chair, *ids))
        db.commit()

    return run


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def timed(
    deps: Deps,
    reference: str,
    ids: Sequence[int],
    plain: Callable[[Sequence[int]], None],
    rounds: int,
) -> tuple[float, float]:
    """Best engine and best plain time; both sides checked to confirm every row."""
    engine: list[float] = []
    baseline: list[float] = []
    for _ in range(rounds + 1):  # the first round warms caches and is not counted
        unmoderate(deps, ids)
        engine.append(
            seconds(
                lambda: moderation.confirm_findings(
                    deps, audit=reference, actor=email("chair"), ids=ids
                )
            )
        )
        assert moderated(deps, ids) == len(ids)
        unmoderate(deps, ids)
        baseline.append(seconds(lambda: plain(ids)))
        assert moderated(deps, ids) == len(ids)
    return min(engine[1:]), min(baseline[1:])


def chair_id(deps: Deps) -> int:
    with deps.uow(readonly=True) as uow:
        found = uow.connection.execute(
            select(t.person.c.id).where(t.person.c.email == email("chair"))
        )
        return int(found.scalar_one())


def measure(
    deps: Deps, connect: Callable[[], Any], placeholder: str, args: argparse.Namespace
) -> None:
    reference, ids = build(deps, args.findings)
    plain = plain_update(connect, placeholder, chair_id(deps))
    engine, baseline = timed(deps, reference, ids, plain, args.rounds)
    print(
        f"  confirm {len(ids)} findings: engine {engine * 1e3:.1f} ms, "
        f"plain SQL {baseline * 1e3:.1f} ms"
    )
    assert engine < BUDGET_SECONDS, f"confirming took {engine:.2f} s"
    print(f"ratio: {baseline / engine:.2f}")


def plain_sqlite(path: Path) -> Any:
    """A bare connection with the engine's own pragmas (WAL, synchronous), so both sides
    pay the same for a commit."""
    import sqlite3

    db = sqlite3.connect(path)
    for pragma in SQLITE_PRAGMAS:
        db.execute(pragma)
    return db


def bench_sqlite(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="oscp-bench-") as folder:
        path = Path(folder) / "moderation.db"
        deps = new_deps(f"sqlite:///{path}")
        print(f"SQLite (temporary file, WAL), best of {args.rounds}")
        try:
            measure(deps, lambda: plain_sqlite(path), "?", args)
        finally:
            deps.uow.engine.dispose()
    print("store: sqlite")


def bench_postgres(args: argparse.Namespace) -> None:
    import psycopg

    url = args.postgres_url
    problem = pg_reachable(url)
    if problem is not None:
        print(f"PostgreSQL skipped: {url} is unreachable ({problem})")
        return
    with pg_schema(url) as schema:
        deps = new_deps(in_schema(url, schema))
        print(f"PostgreSQL ({make_url(url).render_as_string()}), best of {args.rounds}")
        try:
            measure(
                deps,
                lambda: psycopg.connect(url, options=f"-c search_path={schema}"),
                "%s",
                args,
            )
        finally:
            deps.uow.engine.dispose()
    print("store: postgresql")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--findings", type=int, default=350, help="findings confirmed at once")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds; the best counts")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    runs = {"sqlite": bench_sqlite, "postgresql": bench_postgres}
    for index, store in enumerate(s for s in runs if args.only in (None, s)):
        if index:
            print()
        runs[store](args)


if __name__ == "__main__":
    main()
