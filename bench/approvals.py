"""Sign-off decisions by e-mailed link under 64 concurrent members, against a bare FastAPI
page served the same way in the same run.

Run: ``.venv/bin/python -m bench.approvals [--audits N] [--clients 64] [--rounds 5]
[--postgres-url URL] [--only sqlite|postgresql]``

Data (``bench.approvals_seed``): N MACE audits awaiting sign-off, each with its summary report
frozen and one member's link minted through ``minting.mint``. Two audits are lived through the
services; the rest are bulk copies of their rows with fresh ids and references, as the
services would have written them. Each decision is on its own audit by its own link: the
learning hub's member approves and the audit waits for the partners (80%), or a statutory
partner's approval completes the quorum and signs the audit off (10%), or a statutory
partner refuses with a comment and the audit goes back to its chair (10%). Each store is
seeded the same way: SQLite in a temporary file, PostgreSQL in a fresh schema.

Served (``bench.approvals_load``): the real app (``create_app``, built as ``oscp web`` builds
it) under ``uvicorn.run`` with ``oscp web``'s options, in its own process on loopback; beside
it, the same way, a bare FastAPI app whose one endpoint answers GET and POST with a fixed
small HTML page. The app's per-address rate limit is raised out of reach (every client here
comes from 127.0.0.1), not switched off.

Timed: ``--clients`` browsers at once (asyncio, httpx, a cookie jar and connection each), each
taking the next decision: GET the link (the form's cookie and token), POST the decision.
A decision counts only when the POST answers 200 with the page its outcome should say;
anything else is reported. The baseline is as many clients doing as many GET + POST pairs on
the bare endpoint. The two alternate in ``--rounds`` rounds (bare, decisions, bare, ...) so
that load elsewhere on the machine weighs on both alike. ratio = decisions/s over bare
pairs/s; the aim is at least 0.3, with the POST's p99 under 50 ms on PostgreSQL. Each
server's CPU time per decision or pair is printed too (from /proc): it moves far less than
the rates when the machine is shared. Afterwards the store is checked: every audit holds
exactly one decision from its member, its link is used, it is in the state its outcome leads
to, and no link was refused.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

from rich.progress import Progress
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.aggregation import DEFAULT_PG, analyse, new_deps
from bench.approvals_load import (
    Load,
    errors_logged,
    median_ms,
    serving,
    under_load,
)
from bench.approvals_seed import AFTER, Decision, Outcome, outcomes, seed
from bench.pages import COLUMNS
from bench.transitions import in_schema, pg_reachable, pg_schema
from states.persistence import tables as t
from states.services.deps import Deps

AIM_RATIO = 0.3
AIM_P99_MS = 50.0
MOVED_SHARE = 0.1  # of decisions that sign the audit off, and as many that refuse


def run(
    store: str, deps: Deps, url: str, decisions: list[Decision], args: argparse.Namespace
) -> None:
    now = deps.clock.now()  # when the links were minted: the servers' clock stands there
    folder = Path(args.folder)
    with (
        serving("bare", database_url=url, now=now, folder=folder) as bare_app,
        serving("product", database_url=url, now=now, folder=folder) as app,
    ):
        bare, product = under_load(
            bare_app, app, decisions, clients=args.clients, rounds=args.rounds
        )
    report(store, product, bare, args.clients)
    for name, served in (("app", app), ("bare app", bare_app)):
        logged = errors_logged(served.log)
        if logged:
            print(f"  the {name} logged {len(logged)} errors, the first: {logged[0]}")
    problems = verify(deps, decisions)
    print(f"  checked in the store: {problems or 'each audit holds one decision by its member'}")


def report(store: str, product: Load, bare: Load, clients: int) -> None:
    ratio = product.per_second / bare.per_second
    print(
        f"  decisions: {product.done:,} of {product.done + len(product.failures):,} in "
        f"{product.seconds:.1f} s by {clients} clients = {product.per_second:.0f}/s; POST p50 "
        f"{product.post_ms(0.5):.1f} ms, p99 {product.post_ms(0.99):.1f} ms; GET p50 "
        f"{product.get_ms(0.5):.1f} ms, p99 {product.get_ms(0.99):.1f} ms; app CPU "
        f"{product.server_cpu_ms:.1f} ms a decision (client CPU {product.client_cpu:.0%})"
    )
    print(
        f"  bare page: {bare.done:,} GET+POST pairs in {bare.seconds:.1f} s = "
        f"{bare.per_second:.0f}/s; POST p50 {bare.post_ms(0.5):.1f} ms, p99 "
        f"{bare.post_ms(0.99):.1f} ms; GET median {median_ms(bare.gets):.1f} ms; app CPU "
        f"{bare.server_cpu_ms:.1f} ms a pair (client CPU {bare.client_cpu:.0%})"
    )
    for failure, times in Counter(product.failures + bare.failures).most_common(5):
        print(f"  error: {failure} ({times}x)")
    print(f"store: {store}")
    print(f"ratio: {ratio:.2f}")
    missed = [
        what
        for what, missed in (
            (f"ratio under {AIM_RATIO}", ratio < AIM_RATIO),
            (f"POST p99 over {AIM_P99_MS:g} ms", product.post_ms(0.99) > AIM_P99_MS),
            ("errors", bool(product.failures or bare.failures)),
        )
        if missed
    ]
    if missed:
        print(f"  short of the aim: {', '.join(missed)}")


def verify(deps: Deps, decisions: list[Decision]) -> str | None:
    """None when every audit holds exactly one decision by its member, its link is used, it
    is where its outcome leads, and no link was refused; else what is wrong."""
    d, a, k = t.decision, t.audit, t.token
    ids = [x.audit_id for x in decisions]
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        counted = Counter(
            (row.audit_id, row.person_id)
            for row in c.execute(select(d.c.audit_id, d.c.person_id).where(d.c.audit_id.in_(ids)))
        )
        states = dict(c.execute(select(a.c.id, a.c.state).where(a.c.id.in_(ids))).all())
        unused = c.execute(
            select(func.count()).where(k.c.audit_id.in_(ids), k.c.used_at.is_(None))
        ).scalar_one()
        refused = c.execute(select(func.count()).select_from(t.token_event)).scalar_one()
    wrong: Counter[str] = Counter()
    for x in decisions:
        made = counted[x.audit_id, x.person_id]
        if made != 1:
            wrong[f"{made} decisions by its member"] += 1
        elif states[x.audit_id] != AFTER[x.outcome]:
            wrong[f"{states[x.audit_id]} after {x.outcome}"] += 1
    said = [f"{n} audits with {what}" for what, n in wrong.most_common()]
    said += [f"{unused} links unused"] if unused else []
    said += [f"{refused} links refused"] if refused else []
    return "; ".join(said) or None


def seeded(deps: Deps, plan: list[Outcome]) -> list[Decision]:
    with Progress(*COLUMNS) as progress:
        task = progress.add_task("Audits awaiting sign-off", total=len(plan))
        decisions = seed(deps, plan, lambda n: progress.update(task, advance=n))
    analyse(deps)  # fresh statistics, as after any bulk load
    return decisions


def on_store(store: str, url: str, plan: list[Outcome], args: argparse.Namespace) -> None:
    deps = new_deps(url)
    try:
        run(store, deps, url, seeded(deps, plan), args)
    finally:
        deps.uow.engine.dispose()


def main() -> None:
    args = arguments()
    plan = outcomes(args.audits, moved_share=MOVED_SHARE)
    shares = ", ".join(f"{n:,} {o}" for o, n in Counter(plan).most_common())
    print(f"{len(plan):,} audits awaiting sign-off on each store, a link each ({shares})")
    with tempfile.TemporaryDirectory(prefix="oscp-bench-") as folder:
        args.folder = folder
        if args.only in (None, "sqlite"):
            print("SQLite (temporary file, WAL)")
            on_store("sqlite", f"sqlite:///{Path(folder) / 'approvals.db'}", plan, args)
        if args.only in (None, "postgresql"):
            url = args.postgres_url
            problem = pg_reachable(url)
            if problem is not None:
                print(f"PostgreSQL skipped: {url} is unreachable ({problem})")
                return
            print(f"PostgreSQL ({make_url(url).render_as_string()})")
            with pg_schema(url) as schema:
                on_store("postgresql", in_schema(url, schema), plan, args)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--audits", type=int, default=2000, help="audits, one decision each")
    parser.add_argument("--clients", type=int, default=64, help="browsers deciding at once")
    parser.add_argument("--rounds", type=int, default=5, help="bare and decisions alternating")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    return parser.parse_args()


if __name__ == "__main__":
    main()
