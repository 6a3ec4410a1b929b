"""The coordinator's pages over a decade of audits and a 1,000-case MACE, against a static page
of the same size served by the same app in the same run.

Run: ``.venv/bin/python -m bench.pages [--cases N] [--requests N] [--warm-up N] [--seconds S]
[--postgres-url URL] [--only sqlite|postgresql] [--profile]``

Data, made once on a temporary SQLite file through the engine's services unless said:

- the demo partnership, and ten years of its audit programme (``bench.pages_history``: four
  programmes, about 130 audits of every type, most closed, each lived step by step on the
  one clock, with their events, deadlines, returns, findings and actions);
- a MACE started from the current plan's undated "Domestic Abuse MACE" entry, with N cases
  (each involving two to five agencies, an auditor assigned who declares no involvement)
  and every involved agency's return for each case, moved to moderation with a third of its
  ratings moderated: ``bench.aggregation``'s MACE, whose returns past the first case are
  bulk inserted as ``returns.submit`` writes them, with the event it writes for each.

PostgreSQL gets a copy of every row, ids kept, in a fresh schema (living the history again
there would take minutes, all of it in the services' own writes, which are not timed here);
its sequences are moved past the copied ids and its statistics gathered, so the pages read
the same rows on both stores.

Served: the real app (``create_app``) under uvicorn on 127.0.0.1 (a free port), in a thread,
read with real sessions (POST /signin with the form's CSRF token): the coordinator reads the
programme board (/board) and the MACE's audit page (/audits/REF); the moderation page
(/audits/REF/moderation, paginated, read by its URL only) is the chair's, as the policy
refuses it to the coordinator. One route is mounted on that app instance here, never in the
product: ``/bench-static/P`` answers page P's own bytes as a fixed HTMLResponse, so it goes
through the same server, middleware and connection and moves the same bytes, doing nothing
else. Each page: warm-up, then N requests (fewer if they pass S seconds, never under 20),
page and static alternating on one keep-alive client. ratio = page p95 / static p95; the aim
is at most 3. ``--profile`` then runs one request per page in-process under cProfile (its
blocking work inline, so one profiler sees all of it) and says where the time goes.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import insert, select, update
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from bench import pages_history as history
from bench.aggregation import (
    DEFAULT_PG,
    MACE_AGENCIES,
    START,
    add_cases,
    advance,
    analyse,
    moderate_a_third,
    new_deps,
    row_counts,
    submit_all,
)
from bench.pages_timing import Page, measure, profile, serving, signed_in, where_time_goes
from bench.transitions import in_schema, pg_reachable, pg_schema
from oscp_flow.rehearsal.demo import email, load_demo_partnership
from states.clock import LONDON, FakeClock
from states.persistence import tables as t
from states.persistence.store import AuditStore
from states.services import auditors, audits, credentials, programme, terms
from states.services.deps import Deps

PASSWORD = "a long benchmark passphrase"
AIM = 3.0
CHUNK = 5_000
TERMS = {
    "scope": "Children known to two or more agencies where domestic abuse is a feature",
    "time_window": "Interventions in the 12 months before the audit started",
    "methodology": "Multi-agency case file audit against the MACE tool, then moderation",
    "sample_rationale": "A thousand cases open to two to five of the seven agencies",
    "timetable": "Returns within 20 working days; moderation within 10",
}
Step = Callable[[str], None]


# --- the data ---------------------------------------------------------------------------------


def big_mace(deps: Deps, cases: int, step: Step) -> str:
    """The current plan's undated MACE, N cases' returns in, at moderation."""
    step("starting it from the programme")
    reference = programme.start_from_programme(
        deps,
        key="domestic-abuse-mace",
        programme=history.programmes()[-1]["programme"],
        lead=email("chair"),
        actor=email("coordinator"),
        agencies=MACE_AGENCIES,
    ).reference
    with deps.uow(readonly=True) as uow:
        audit_id = AuditStore(uow.connection).load_audit(reference).id
    # What the chair records before the terms can be agreed (as the walkthrough does).
    terms.record_terms(deps, audit=reference, actor=email("chair"), **TERMS)
    step(f"sampling {cases:,} cases, the auditor declaring on each")
    targets = add_cases(deps, audit_id, cases, random.Random(cases))
    auditor = email("auditor.two")
    for case in dict.fromkeys(tg.case for tg in targets if tg.case is not None):
        auditors.declare(deps, audit=reference, actor=auditor, case=case, involvement="none")
    advance(deps, reference, "mace", "returns_open")
    step(f"{len(targets):,} returns")
    first_case = sum(1 for tg in targets if tg.case == targets[0].case)
    submit_all(deps, (reference, audit_id, "mace"), targets, first_case)
    submitted_events(deps, audit_id, len(targets) - first_case)
    step("closing returns, moderating a third")
    audits.fire(deps, audit=reference, trigger="close_returns", actor=email("coordinator"))
    moderate_a_third(deps, audit_id, "good")
    return reference


def submitted_events(deps: Deps, audit_id: int, made: int) -> None:
    """The event ``returns.submit`` writes for each return, for the returns bulk inserted
    (``submit_all`` leaves them out): the one it wrote for the first case's, once per return,
    each a version of the audit, as the audit page's history would hold them."""
    e, a = t.event, t.audit
    with deps.uow() as uow:
        c = uow.connection
        written = c.execute(
            select(e).where(e.c.audit_id == audit_id).order_by(e.c.version.desc()).limit(1)
        )
        last = dict(written.mappings().one())
        assert last["trigger"] == "submit_return", last["trigger"]
        del last["id"]
        version = last["version"]
        c.execute(insert(e), [{**last, "version": version + n} for n in range(1, made + 1)])
        c.execute(update(a).where(a.c.id == audit_id).values(version=version + made))
        uow.commit()


def build(deps: Deps, cases: int, folder: Path, progress: Progress) -> tuple[str, str]:
    """The data; the MACE's reference, and what was made, to say once the bars are gone."""
    started = time.perf_counter()
    clock = deps.clock
    assert isinstance(clock, FakeClock)
    load_demo_partnership(deps)
    plans = history.programmes()
    today = START.astimezone(LONDON).date()
    span = (today - history.HISTORY_FROM).days
    years = progress.add_task("Ten years of audits", total=span)
    history.load_programmes(deps, plans, folder)

    def tick(day: date) -> None:
        progress.update(years, completed=(day - history.HISTORY_FROM).days)

    lived = history.live(deps, clock, history.planned(plans, today), START, tick)
    progress.update(years, completed=span)
    mace = progress.add_task(f"A {cases:,}-case MACE", total=4)

    def step(what: str) -> None:
        progress.update(mace, advance=1, description=f"A {cases:,}-case MACE: {what}")

    reference = big_mace(deps, cases, step)
    for person in ("coordinator", "chair"):
        credentials.set_password(deps, email=email(person), password=PASSWORD)
    with deps.uow(readonly=True) as uow:
        audit_id = AuditStore(uow.connection).load_audit(reference).id
    states = ", ".join(f"{n} {s}" for s, n in lived.states.most_common())
    return reference, (
        f"  built in {time.perf_counter() - started:.1f} s\n"
        f"  history: {lived.audits} audits in {lived.steps:,} steps; now {states}\n"
        f"  {reference} (mace, {cases:,} cases, at moderation): {row_counts(deps, audit_id)}\n"
        f"  every audit: {history.history_counts(deps)}"
    )


def _utc(row: dict[str, Any]) -> dict[str, Any]:
    """SQLite hands instants back without their zone; they are UTC."""
    return {
        k: v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v
        for k, v in row.items()
    }


def copy_rows(source: Deps, target: Deps, progress: Progress) -> None:
    """Every table, parents first, rows in id order with their ids, in one transaction; then
    each id sequence past the last id, so rows written while serving (sessions) fit."""
    tables = SQLModel.metadata.sorted_tables
    task = progress.add_task("Copying every row to PostgreSQL", total=len(tables))
    with source.uow(readonly=True) as read, target.uow() as write:
        for table in tables:
            rows = read.connection.execute(select(table).order_by(*table.primary_key.columns))
            for chunk in rows.mappings().partitions(CHUNK):
                write.connection.execute(insert(table), [_utc(dict(r)) for r in chunk])
            if "id" in table.c:
                write.connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                )
            progress.update(task, advance=1)
        write.commit()


# --- the run ----------------------------------------------------------------------------------


def timed(deps: Deps, store: str, reference: str, home: Path, args: argparse.Namespace) -> None:
    analyse(deps)  # fresh statistics, as after any bulk load
    pages = (
        Page("board", "/board", email("coordinator")),
        Page("audit", f"/audits/{reference}", email("coordinator")),
        Page("moderation", f"/audits/{reference}/moderation", email("chair")),
    )
    bodies: dict[str, bytes] = {}
    timings = []
    with serving(deps, home, bodies) as (base, app):
        clients = {who: signed_in(base, who, PASSWORD) for who in {p.who for p in pages}}
        print(f"  p95 of up to {args.requests} requests a page, after {args.warm_up} to warm up")
        for page in pages:
            client = clients[page.who]
            timings.append(
                measure(
                    client,
                    page,
                    bodies,
                    requests=args.requests,
                    warm_up=args.warm_up,
                    seconds=args.seconds,
                )
            )
            print(timings[-1].line())
        if args.profile:
            for page in pages:
                where_time_goes(page.name, profile(app, base, clients[page.who].cookies, page.path))
        for client in clients.values():
            client.close()
    print(f"store: {store}")
    for timing in timings:
        print(f"page: {timing.page.name}")
        print(f"ratio: {timing.ratio:.2f}")
    over = [timing.page.name for timing in timings if timing.ratio > AIM]
    if over:
        print(f"over the aim of {AIM:g}: {', '.join(over)}")


def on_postgres(source: Deps, reference: str, home: Path, args: argparse.Namespace) -> None:
    url = args.postgres_url
    problem = pg_reachable(url)
    if problem is not None:
        print(f"PostgreSQL skipped: {url} is unreachable ({problem})")
        return
    with pg_schema(url) as schema:
        print(f"PostgreSQL ({make_url(url).render_as_string()}), the same rows")
        deps = new_deps(in_schema(url, schema))
        try:
            with Progress(*COLUMNS) as progress:
                copy_rows(source, deps, progress)
            timed(deps, "postgresql", reference, home, args)
        finally:
            deps.uow.engine.dispose()


COLUMNS = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())


def main() -> None:
    args = arguments()
    with tempfile.TemporaryDirectory(prefix="oscp-bench-") as folder:
        home = Path(folder)
        print("SQLite (temporary file, WAL)")
        deps = new_deps(f"sqlite:///{home / 'pages.db'}")
        try:
            with Progress(*COLUMNS) as progress:
                reference, made = build(deps, args.cases, home, progress)
            print(made)
            if args.only in (None, "sqlite"):
                timed(deps, "sqlite", reference, home, args)
            if args.only in (None, "postgresql"):
                print()
                on_postgres(deps, reference, home, args)
        finally:
            deps.uow.engine.dispose()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=1000, help="MACE cases sampled")
    parser.add_argument("--requests", type=int, default=50, help="timed requests a page")
    parser.add_argument("--warm-up", type=int, default=5, help="requests first, not timed")
    parser.add_argument("--seconds", type=float, default=20, help="a page's timed requests stop")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    parser.add_argument("--profile", action="store_true", help="where one request's time goes")
    return parser.parse_args()


if __name__ == "__main__":
    main()
