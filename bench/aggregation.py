"""Report aggregates through the engine against a plain SQL GROUP BY over the same rows.

Run: ``.venv/bin/python -m bench.aggregation [--cases N] [--schools N] [--rounds R]
[--postgres-url URL] [--only sqlite|postgresql]``

Data, the same on both stores: a MACE audit of 1,000 sampled cases, each audited by the two
to five agencies involved with it (one case return per agency per case), and a Section 175
audit with 120 school returns. Both audits are started and moved to returns_open through the
services, every gate checked over the real sample; cases are added with ``work.insert_case``
(what ``add_case`` runs, without its per-case audit event), each with an auditor, and the
MACE's chair records its terms of reference and its auditor declares no involvement in each
case through the services, as its gates ask before returns open. The first case's returns and the
first two schools' are submitted through ``returns.submit``; the rest are bulk inserted with
Core executemany, as fast bulk inserts of the rows the services would write: ``audit_return``
rows as submission leaves them, ``answer`` rows canonicalised by ``states.rules.answers.normalise``,
``finding`` rows as ``findings_from_return`` builds them (without ``submit``'s per-return
audit event). Before anything is timed the bulk rows are checked against the rows the
services wrote for the same answers, and both sides are checked to count the same. A third
of the rating findings are then moderated to another grade with one UPDATE.

Timed: ``audit_aggregates`` per audit (load the audit and its pinned tool, five GROUP BY
statements and a count in a read-only unit of work, then folding into sections, EEDI and
training) against the same statements written out for the bare driver (``sqlite3`` /
``psycopg``) in one transaction, rows fetched and nothing folded. Rounds alternate the two
and the best of each is kept. ratio = plain SQL time / engine time, so 1.0 means the API
adds nothing to the SQL's own cost.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.engine import make_url

from bench.transitions import in_schema, pg_reachable, pg_schema
from oscp_flow.rehearsal.demo import email, load_demo_partnership
from oscp_flow.rehearsal.walkthrough import actor_for, complete_answers
from oscp_flow.settings import PROJECT_ROOT
from states.clock import LONDON, FakeClock
from states.definitions.graph import main_path
from states.definitions.tool import YES_NO_PARTLY, ToolDefinition
from states.persistence import tables as t
from states.persistence.db import SQLITE_PRAGMAS, make_engine
from states.persistence.migrate import upgrade
from states.persistence.store import AuditStore
from states.persistence.uow import UnitOfWorkFactory
from states.rules.answers import normalise
from states.rules.catalogue import Catalogue
from states.services import aggregation, auditors, audits, partnership, returns, terms, work
from states.services.deps import Deps

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
MACE_AGENCIES = ("police", "csc", "community_health", "acute", "camhs", "schools", "early_help")
BY_SERVICES = 2  # Section 175 returns submitted through returns.submit (MACE: the first case)
# What the chair records before the terms of reference can be agreed (as the walkthrough does).
TERMS = {
    "scope": "Children known to two or more agencies where domestic abuse is a feature",
    "time_window": "Interventions in the 12 months before the audit started",
    "methodology": "Multi-agency case file audit against the MACE tool, then moderation",
    "sample_rationale": "A thousand cases open to two to five of the seven agencies",
    "timetable": "Returns within 20 working days; moderation within 10",
}


@dataclass(frozen=True)
class Target:
    """One return to make: an agency, and the case for a case audit."""

    agency: str
    agency_id: int
    case: str | None = None
    case_id: int | None = None


@dataclass(frozen=True)
class Built:
    reference: str
    audit_id: int
    closed_ids: tuple[str, ...]  # the EEDI yes/no/partly and choice questions


# --- building the data ------------------------------------------------------------------------


def new_deps(url: str) -> Deps:
    engine = make_engine(url)
    upgrade(engine)
    catalogue = Catalogue.from_directory(PROJECT_ROOT / "definitions" / "audit_types")
    return Deps(UnitOfWorkFactory(engine), catalogue, FakeClock(START))


def tool_of(deps: Deps, audit_type: str) -> ToolDefinition:
    tool = deps.catalogue.tool(audit_type)
    assert tool is not None
    return tool


def random_answers(tool: ToolDefinition, rng: random.Random) -> dict[str, object]:
    """A complete return with random ratings; an immediate-risk concern in one in thirty."""
    answers = complete_answers(tool, variant=rng.randrange(3))
    for _, q in tool.questions():
        if q.type == "rating":
            answers[q.id] = rng.choice(tool.scales[q.scale or ""].grades).value
        elif q.type == "yes_no_partly":
            answers[q.id] = rng.choice(YES_NO_PARTLY)
        elif q.finding == "concern":
            answers[q.id] = "Escalated the same day." if rng.random() < 1 / 30 else ""
    return answers


def canonical(tool: ToolDefinition, answers: dict[str, object]) -> dict[str, str]:
    clean, problems = normalise(tool, answers)
    assert not problems, problems
    return clean


def answer_rows(
    tool: ToolDefinition, return_id: int, clean: dict[str, str]
) -> list[dict[str, Any]]:
    sections = {q.id: s.id for s, q in tool.questions()}
    return [
        {"return_id": return_id, "question_id": q, "section_id": sections[q], "value": v}
        for q, v in clean.items()
    ]


def finding_rows(
    tool: ToolDefinition, audit_id: int, return_id: int, clean: dict[str, str]
) -> list[dict[str, Any]]:
    """The rows ``findings_from_return`` inserts for these answers."""
    rows: list[dict[str, Any]] = []
    for _, q in tool.questions():
        if q.id in clean and (q.type == "rating" or q.finding is not None):
            rating = q.type == "rating"
            rows.append(
                {
                    "kind": "rating" if rating else q.finding,
                    "original_rating": clean[q.id] if rating else None,
                    "question_id": q.id,
                    "audit_id": audit_id,
                    "return_id": return_id,
                }
            )
    return rows


def advance(deps: Deps, reference: str, audit_type: str, goal: str) -> None:
    definition = deps.catalogue.current(audit_type).definition
    for step in main_path(definition, definition.initial_state, goal):
        transition = next(tr for tr in definition.transitions if tr.trigger == step.trigger)
        reason = "Benchmark" if transition.requires_reason else None
        audits.fire(
            deps, audit=reference, trigger=step.trigger, actor=actor_for(transition), reason=reason
        )


def agency_ids(c: Connection) -> dict[str, int]:
    return {
        code: agency_id for agency_id, code in c.execute(select(t.agency.c.id, t.agency.c.code))
    }


def add_cases(deps: Deps, audit_id: int, cases: int, rng: random.Random) -> list[Target]:
    """The sample, with an auditor for each case, in one transaction."""
    started = deps.clock.now().astimezone(LONDON).date()
    targets: list[Target] = []
    with deps.uow() as uow:
        c = uow.connection
        codes = agency_ids(c)
        auditor = AuditStore(c).load_actor(email("auditor.two")).id
        for n in range(1, cases + 1):
            reference = f"BENCH-C{n:04d}"
            involved = rng.sample(MACE_AGENCIES, rng.randint(2, 5))
            last = started - timedelta(days=rng.randint(10, 300))
            case_id = work.insert_case(
                c, audit_id, reference, first=date(2024, 1, 8), last=last, agencies=involved
            )
            c.execute(insert(t.assignment), {"case_id": case_id, "person_id": auditor})
            targets += [Target(a, codes[a], reference, case_id) for a in involved]
        uow.commit()
    return targets


def terms_and_declarations(deps: Deps, reference: str, targets: Sequence[Target]) -> None:
    """What a MACE's gates ask before returns open, through the services: the chair's terms
    of reference, and the assigned auditor's declaration of no involvement in each case."""
    terms.record_terms(deps, audit=reference, actor=email("chair"), **TERMS)
    auditor = email("auditor.two")
    for case in dict.fromkeys(tg.case for tg in targets if tg.case is not None):
        auditors.declare(deps, audit=reference, actor=auditor, case=case, involvement="none")


def by_services(deps: Deps, reference: str, target: Target, answers: dict[str, object]) -> int:
    return returns.submit(
        deps,
        audit=reference,
        actor=email("coordinator"),
        agency=target.agency,
        case=target.case,
        answers=answers,
    ).id


def bulk_submit(
    deps: Deps, audit_id: int, tool: ToolDefinition, made: Sequence[tuple[Target, dict[str, str]]]
) -> None:
    """Returns as submission leaves them, their answers and their findings, in bulk."""
    now = deps.clock.now()
    with deps.uow() as uow:
        c = uow.connection
        store = AuditStore(c)
        row, who = store.load_audit(audit_id), store.load_actor(email("coordinator"))
        submitted = {"status": "submitted", "started_at": now, "updated_at": now}
        submitted |= {"submitted_at": now, "submitted_by": who.id, "round": row.state_round}
        c.execute(
            insert(t.audit_return),
            [
                {"audit_id": audit_id, "agency_id": tg.agency_id, "case_id": tg.case_id}
                | {"case_key": tg.case_id or 0}
                | submitted
                for tg, _ in made
            ],
        )
        ids = return_ids(c, audit_id)
        answers: list[dict[str, Any]] = []
        found: list[dict[str, Any]] = []
        for tg, clean in made:
            return_id = ids[tg.agency_id, tg.case_id or 0]
            answers += answer_rows(tool, return_id, clean)
            found += finding_rows(tool, audit_id, return_id, clean)
        c.execute(insert(t.answer), answers)
        c.execute(insert(t.finding), found)
        uow.commit()


def return_ids(c: Connection, audit_id: int) -> dict[tuple[int, int], int]:
    r = t.audit_return
    rows = c.execute(select(r.c.agency_id, r.c.case_key, r.c.id).where(r.c.audit_id == audit_id))
    return {(agency, case_key): return_id for agency, case_key, return_id in rows}


def check_same_rows(
    deps: Deps, audit_id: int, tool: ToolDefinition, checked: Sequence[tuple[int, dict[str, str]]]
) -> None:
    """The services wrote exactly the rows the bulk load writes for the same answers."""
    a, f = t.answer, t.finding
    finding_columns = (f.c.kind, f.c.original_rating, f.c.question_id, f.c.audit_id, f.c.return_id)
    with deps.uow(readonly=True) as uow:
        for return_id, clean in checked:
            answered = uow.connection.execute(
                select(a.c.return_id, a.c.question_id, a.c.section_id, a.c.value).where(
                    a.c.return_id == return_id
                )
            )
            expected = answer_rows(tool, return_id, clean)
            assert {tuple(r) for r in answered} == {tuple(r.values()) for r in expected}
            found = uow.connection.execute(
                select(*finding_columns).where(f.c.return_id == return_id)
            )
            expected = finding_rows(tool, audit_id, return_id, clean)
            assert sorted(map(tuple, found)) == sorted(tuple(r.values()) for r in expected)


def moderate_a_third(deps: Deps, audit_id: int, grade: str) -> None:
    """As moderation leaves a changed rating: grade, rationale, when and by whom."""
    f = t.finding
    with deps.uow() as uow:
        chair = AuditStore(uow.connection).load_actor(email("chair")).id
        uow.connection.execute(
            update(f)
            .where(f.c.audit_id == audit_id, f.c.kind == "rating", f.c.id % 3 == 0)
            .values(
                moderated_rating=grade,
                rationale="Benchmark moderation",
                moderated_at=deps.clock.now(),
                moderated_by=chair,
            )
        )
        uow.commit()


def submit_all(
    deps: Deps, audit: tuple[str, int, str], targets: Sequence[Target], first: int
) -> None:
    """The first ``first`` returns through the services, the rest in bulk, then compared."""
    reference, audit_id, audit_type = audit
    tool = tool_of(deps, audit_type)
    rng = random.Random(audit_id)
    made = [(tg, canonical(tool, random_answers(tool, rng))) for tg in targets]
    checked = [(by_services(deps, reference, tg, dict(clean)), clean) for tg, clean in made[:first]]
    bulk_submit(deps, audit_id, tool, made[first:])
    check_same_rows(deps, audit_id, tool, checked)


def start(deps: Deps, audit_type: str, theme: str, agencies: Sequence[str]) -> tuple[str, int]:
    reference = audits.start_audit(
        deps,
        audit_type=audit_type,
        theme=theme,
        lead=email("chair"),
        actor=email("coordinator"),
        agencies=agencies,
    ).reference
    with deps.uow(readonly=True) as uow:
        return reference, AuditStore(uow.connection).load_audit(reference).id


def build_mace(deps: Deps, cases: int) -> Built:
    reference, audit_id = start(deps, "mace", "Domestic abuse", MACE_AGENCIES)
    targets = add_cases(deps, audit_id, cases, random.Random(cases))
    terms_and_declarations(deps, reference, targets)
    advance(deps, reference, "mace", "returns_open")
    first_case = sum(1 for tg in targets if tg.case == targets[0].case)
    submit_all(deps, (reference, audit_id, "mace"), targets, first_case)
    audits.fire(deps, audit=reference, trigger="close_returns", actor=email("coordinator"))
    moderate_a_third(deps, audit_id, "good")
    return built(deps, reference, audit_id, "mace")


def build_section_175(deps: Deps, schools: int) -> Built:
    codes = [f"school-{n:03d}" for n in range(1, schools + 1)]
    for code in codes:
        partnership.add_agency(deps, code=code, name=f"School {code[-3:]}", kind="school")
    reference, audit_id = start(deps, "section_175", "Section 175/157 self-assessment", codes)
    advance(deps, reference, "section_175", "returns_open")
    with deps.uow(readonly=True) as uow:
        ids = agency_ids(uow.connection)
    targets = [Target(c, ids[c]) for c in codes]
    submit_all(deps, (reference, audit_id, "section_175"), targets, BY_SERVICES)
    moderate_a_third(deps, audit_id, "amber")
    return built(deps, reference, audit_id, "section_175")


def built(deps: Deps, reference: str, audit_id: int, audit_type: str) -> Built:
    closed = tuple(
        q.id
        for s, q in tool_of(deps, audit_type).questions()
        if "eedi" in q.tags + s.tags and q.type in ("yes_no_partly", "choice")
    )
    return Built(reference, audit_id, closed)


def row_counts(deps: Deps, audit_id: int) -> str:
    r, a, f = t.audit_return, t.answer, t.finding
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        returned = c.execute(select(func.count()).where(r.c.audit_id == audit_id)).scalar_one()
        answered = c.execute(
            select(func.count()).select_from(a.join(r)).where(r.c.audit_id == audit_id)
        ).scalar_one()
        findings, moderated = c.execute(
            select(func.count(), func.count(f.c.moderated_at)).where(f.c.audit_id == audit_id)
        ).one()
    return (
        f"{returned:,} returns, {answered:,} answers, {findings:,} findings "
        f"({moderated:,} moderated)"
    )


# --- the plain SQL the baseline runs ------------------------------------------------------------

RATING = "COALESCE(f.moderated_rating, f.original_rating)"
FROM_RATINGS = (
    "FROM finding f JOIN audit_return r ON r.id = f.return_id {join} "
    "WHERE f.kind = 'rating' AND r.status = 'submitted' AND r.audit_id = ? "
)
FROM_FINDINGS = (
    "FROM finding f LEFT OUTER JOIN audit_return r ON r.id = f.return_id "
    "{join} WHERE f.audit_id = ? AND (f.return_id IS NULL OR r.status = 'submitted') "
)
AGENCY = "JOIN agency g ON g.id = r.agency_id"


def plain_statements(audit: Built) -> list[tuple[str, tuple[Any, ...]]]:
    """The statements ``audit_aggregates`` runs, as a person would write them; each takes
    the audit's id (looked up by reference first) and then these parameters."""
    closed = ", ".join("?" * len(audit.closed_ids))
    return [
        (
            "SELECT count(*) FILTER (WHERE status = 'submitted'), count(*) "
            "FROM audit_return WHERE audit_id = ?",
            (),
        ),
        (
            f"SELECT f.question_id, {RATING}, count(*) {FROM_RATINGS.format(join='')}"
            f"GROUP BY f.question_id, {RATING}",
            (),
        ),
        (
            f"SELECT g.code, f.question_id, {RATING}, count(*) {FROM_RATINGS.format(join=AGENCY)}"
            f"GROUP BY g.code, f.question_id, {RATING}",
            (),
        ),
        (
            "SELECT a.question_id, a.value, count(*) "
            "FROM answer a JOIN audit_return r ON r.id = a.return_id "
            f"WHERE r.audit_id = ? AND r.status = 'submitted' AND a.question_id IN ({closed}) "
            "GROUP BY a.question_id, a.value",
            audit.closed_ids,
        ),
        (
            "SELECT f.question_id, f.kind, count(*), count(f.moderated_at) "
            + FROM_FINDINGS.format(join="")
            + "GROUP BY f.question_id, f.kind",
            (),
        ),
        (
            "SELECT g.code, f.kind, count(*), count(f.moderated_at) "
            + FROM_FINDINGS.format(join="LEFT OUTER " + AGENCY)
            + "GROUP BY g.code, f.kind",
            (),
        ),
    ]


class Plain:
    """Runs the baseline on a bare DB-API connection, one read transaction per audit."""

    def __init__(self, connect: Callable[[], Any], placeholder: str, begin: bool) -> None:
        self.db = connect()
        self.placeholder = placeholder
        self.begin = begin

    def run(self, audit: Built) -> list[list[Any]]:
        cursor = self.db.cursor()
        if self.begin:
            cursor.execute("BEGIN")
        cursor.execute(
            self.sql("SELECT id FROM audit_cycle WHERE reference = ?"), (audit.reference,)
        )
        (audit_id,) = cursor.fetchone()
        results = []
        for sql, questions in plain_statements(audit):
            cursor.execute(self.sql(sql), (audit_id, *questions))
            results.append(cursor.fetchall())
        if self.begin:
            cursor.execute("ROLLBACK")
        else:
            self.db.rollback()
        return results

    def sql(self, text: str) -> str:
        return text.replace("?", self.placeholder)

    def close(self) -> None:
        self.db.close()


def sqlite_plain(path: Path) -> Plain:
    def connect() -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            db.execute(pragma)
        return db

    return Plain(connect, "?", begin=True)


def postgres_plain(url: str, schema: str) -> Plain:
    return Plain(lambda: psycopg.connect(url, options=f"-c search_path={schema}"), "%s", False)


# --- timing -------------------------------------------------------------------------------------


def agree(deps: Deps, plain: Plain, audit: Built) -> None:
    """Both sides count the same ratings and findings before either is timed."""
    found = aggregation.audit_aggregates(deps, audit=audit.reference)
    returned, by_question, _, _, by_finding, _ = plain.run(audit)
    counted = {(d.key, v): n for d in found.by_question for v, n in d.as_dict().items() if n}
    assert counted == {(q, v): n for q, v, n in by_question}, audit.reference
    assert sum(n for *_, n, _ in by_finding) == found.findings.total, audit.reference
    assert returned[0][0] == found.returns_submitted, audit.reference


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def timed_rounds(
    deps: Deps, plain: Plain, audit: Built, rounds: int
) -> tuple[list[float], list[float]]:
    engine: list[float] = []
    baseline: list[float] = []
    for _ in range(rounds):
        engine.append(seconds(lambda: aggregation.audit_aggregates(deps, audit=audit.reference)))
        baseline.append(seconds(lambda: plain.run(audit)))
    return engine, baseline


def report(deps: Deps, plain: Plain, audits_built: Sequence[Built], rounds: int) -> float:
    """Prints each audit's figures; returns the ratio over the best times of all of them."""
    best_engine = best_plain = 0.0
    for audit in audits_built:
        agree(deps, plain, audit)
        timed_rounds(deps, plain, audit, 1)  # warm: statement caches, pages, plans
        engine, baseline = timed_rounds(deps, plain, audit, rounds)
        shown = ", ".join(
            f"{e * 1e3:.1f}/{b * 1e3:.1f}" for e, b in zip(engine, baseline, strict=True)
        )
        print(f"  {audit.reference} rounds, ms (engine/plain): {shown}")
        print(
            f"  {audit.reference}: engine {min(engine) * 1e3:.1f} ms, "
            f"plain SQL {min(baseline) * 1e3:.1f} ms, ratio {min(baseline) / min(engine):.2f}"
        )
        best_engine += min(engine)
        best_plain += min(baseline)
    return best_plain / best_engine


def build(deps: Deps, cases: int, schools: int) -> list[Built]:
    started = time.perf_counter()
    load_demo_partnership(deps)
    mace = build_mace(deps, cases)
    s175 = build_section_175(deps, schools)
    print(f"  built in {time.perf_counter() - started:.1f} s")
    print(f"  {mace.reference} (mace, {cases:,} cases): {row_counts(deps, mace.audit_id)}")
    print(f"  {s175.reference} (section_175): {row_counts(deps, s175.audit_id)}")
    return [mace, s175]


def analyse(deps: Deps) -> None:
    """Fresh statistics, as autovacuum would gather them after a bulk load."""
    with deps.uow() as uow:
        uow.connection.exec_driver_sql("ANALYZE")
        uow.commit()


def bench_sqlite(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="oscp-bench-") as folder:
        path = Path(folder) / "aggregation.db"
        deps = new_deps(f"sqlite:///{path}")
        print(f"SQLite (temporary file, WAL), best of {args.rounds}")
        built_audits = build(deps, args.cases, args.schools)
        analyse(deps)
        plain = sqlite_plain(path)
        try:
            ratio = report(deps, plain, built_audits, args.rounds)
        finally:
            plain.close()
            deps.uow.engine.dispose()
    print("store: sqlite")
    print(f"ratio: {ratio:.2f}")


def bench_postgres(args: argparse.Namespace) -> None:
    url = args.postgres_url
    problem = pg_reachable(url)
    if problem is not None:
        print(f"PostgreSQL skipped: {url} is unreachable ({problem})")
        return
    with pg_schema(url) as schema:
        deps = new_deps(in_schema(url, schema))
        print(f"PostgreSQL ({make_url(url).render_as_string()}), best of {args.rounds}")
        built_audits = build(deps, args.cases, args.schools)
        analyse(deps)
        plain = postgres_plain(url, schema)
        try:
            ratio = report(deps, plain, built_audits, args.rounds)
        finally:
            plain.close()
            deps.uow.engine.dispose()
    print("store: postgresql")
    print(f"ratio: {ratio:.2f}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=1000, help="MACE cases sampled")
    parser.add_argument("--schools", type=int, default=120, help="Section 175 returns")
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
