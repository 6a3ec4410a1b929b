"""The coordinator's pages over a decade of audits and a 1,000-case MACE, against a static page
of the same size served by the same app in the same run.

Run: ``.venv/bin/python -m bench.pages [--cases N] [--requests N] [--warm-up N]
[--postgres-url URL] [--only sqlite|postgresql] [--profile]``

Data, the same on both stores, all through the engine's services unless said:

- the demo partnership, and ten years of its audit programme (``bench.history``: four
  programmes, about 130 audits of every type, most closed, each lived step by step on the
  one clock, with their events, deadlines, returns, findings and actions);
- a MACE started from the current plan's "Domestic Abuse MACE" entry, with N cases (each
  involving two to five agencies, with an auditor) and every agency's return for each case,
  moved to moderation with a third of its ratings moderated: ``bench.aggregation``'s MACE,
  whose cases and returns past the first case are bulk inserted as the services write them.

Served: the real app (``create_app``) under uvicorn on 127.0.0.1 (a free port), in a thread.
The coordinator signs in with a real session (POST /signin with the form's CSRF token). One
extra route is mounted on that app instance here, never in the product: ``/bench-static/P``
answers with page P's own bytes, captured at warm-up, as a fixed HTMLResponse, so it goes
through the same server, middleware and connection and moves the same bytes, doing nothing
else. Timed, one keep-alive client, page and static request alternating: the programme board
(/board), the MACE's audit page (/audits/REF) and its moderation page
(/audits/REF/moderation, paginated, read only by its URL). ratio = page p95 / static p95;
the aim is at most 3. ``--profile`` then runs one request per page in-process under cProfile
(the page's blocking work run inline, so one profiler sees all of it) and says where its
time goes.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import insert, select, update
from sqlalchemy.engine import make_url

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
TERMS = {
    "scope": "Children known to two or more agencies where domestic abuse is a feature",
    "time_window": "Interventions in the 12 months before the audit started",
    "methodology": "Multi-agency case file audit against the MACE tool, then moderation",
    "sample_rationale": "A thousand cases open to two to five of the seven agencies",
    "timetable": "Returns within 20 working days; moderation within 10",
}


# --- the data ---------------------------------------------------------------------------------


def big_mace(deps: Deps, cases: int, step: Callable[[str], None]) -> str:
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
    step(f"sampling {cases:,} cases, each auditor declaring")
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


def build(deps: Deps, cases: int, folder: Path) -> str:
    started = time.perf_counter()
    clock = deps.clock
    assert isinstance(clock, FakeClock)
    load_demo_partnership(deps)
    plans = history.programmes()
    today = START.astimezone(LONDON).date()
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn())
    with Progress(*columns, TimeElapsedColumn()) as progress:
        span = (today - history.HISTORY_FROM).days
        years = progress.add_task("Ten years of audits", total=span)
        history.load_programmes(deps, plans, folder)
        planned = history.planned(plans, today)

        def tick(day: date) -> None:
            progress.update(years, completed=(day - history.HISTORY_FROM).days)

        lived = history.live(deps, clock, planned, START, tick)
        progress.update(years, completed=span)
        mace = progress.add_task(f"A {cases:,}-case MACE", total=4)

        def step(what: str) -> None:
            progress.update(mace, advance=1, description=f"A {cases:,}-case MACE: {what}")

        reference = big_mace(deps, cases, step)
    with deps.uow(readonly=True) as uow:
        audit_id = AuditStore(uow.connection).load_audit(reference).id
    print(f"  {reference} (mace, {cases:,} cases, at moderation): {row_counts(deps, audit_id)}")
    states = ", ".join(f"{n} {s}" for s, n in lived.states.most_common())
    print(f"  history: {lived.audits} audits in {lived.steps:,} steps; now {states}")
    print(f"  rows: {history.history_counts(deps)}")
    for person in ("coordinator", "chair"):
        credentials.set_password(deps, email=email(person), password=PASSWORD)
    analyse(deps)  # fresh statistics, as after any bulk load
    print(f"  built in {time.perf_counter() - started:.1f} s")
    return reference


# --- the run ----------------------------------------------------------------------------------


def run(store: str, url: str, args: argparse.Namespace) -> None:
    deps = new_deps(url)
    try:
        with tempfile.TemporaryDirectory(prefix="oscp-bench-") as folder:
            reference = build(deps, args.cases, Path(folder))
            # The moderation page is the chair's and the auditors' (``Permission``): the
            # coordinator is refused it, so the audit's chair reads it.
            pages = (
                Page("board", "/board", email("coordinator")),
                Page("audit", f"/audits/{reference}", email("coordinator")),
                Page("moderation", f"/audits/{reference}/moderation", email("chair")),
            )
            bodies: dict[str, bytes] = {}
            with serving(deps, Path(folder), bodies) as (base, app):
                clients = {who: signed_in(base, who, PASSWORD) for who in {p.who for p in pages}}
                print(f"  p95 of {args.requests} requests each, after {args.warm_up} to warm up")
                timings = []
                for page in pages:
                    timings.append(
                        measure(clients[page.who], page, bodies, args.requests, args.warm_up)
                    )
                    print(timings[-1].line())
                if args.profile:
                    for page in pages:
                        stats = profile(app, base, clients[page.who].cookies, page.path)
                        where_time_goes(page.name, stats)
                for client in clients.values():
                    client.close()
    finally:
        deps.uow.engine.dispose()
    print(f"store: {store}")
    for timing in timings:
        print(f"page: {timing.page.name}")
        print(f"ratio: {timing.ratio:.2f}")
    over = [timing.page.name for timing in timings if timing.ratio > AIM]
    if over:
        print(f"over the aim of {AIM:g}: {', '.join(over)}")


def bench_sqlite(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="oscp-bench-") as folder:
        print("SQLite (temporary file, WAL)")
        run("sqlite", f"sqlite:///{Path(folder) / 'pages.db'}", args)


def bench_postgres(args: argparse.Namespace) -> None:
    url = args.postgres_url
    problem = pg_reachable(url)
    if problem is not None:
        print(f"PostgreSQL skipped: {url} is unreachable ({problem})")
        return
    with pg_schema(url) as schema:
        print(f"PostgreSQL ({make_url(url).render_as_string()})")
        run("postgresql", in_schema(url, schema), args)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=1000, help="MACE cases sampled")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warm-up", type=int, default=5, help="requests first, not timed")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    parser.add_argument("--profile", action="store_true", help="where one request's time goes")
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
