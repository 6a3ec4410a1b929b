"""Fifty people firing the same transition at once: exactly one wins, one event is written,
and everyone else is told someone got there first. Real threads, real databases."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from states.errors import ConcurrencyConflict
from states.persistence import tables as t
from states.services import audits, findings, queries
from states.services.deps import Deps
from tests.support.partnership import email
from tests.support.terms import record_terms

THREADS = 50


def _race(deps: Deps, reference: str, version: int, fire: Callable[[], object]) -> list[object]:
    barrier = threading.Barrier(THREADS)

    def attempt(_: int) -> object:
        barrier.wait()
        try:
            return fire()
        except ConcurrencyConflict as exc:
            return exc

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(attempt, range(THREADS)))


@pytest.mark.slow
def test_fifty_threads_one_transition(partnership: Deps) -> None:
    deps = partnership
    reference = audits.start_audit(
        deps, audit_type="mace", theme="Race", lead=email("chair"), actor=email("coordinator")
    ).reference
    record_terms(deps, reference)
    seen = queries.audit_status(deps, audit=reference, as_person=email("chair")).version

    outcomes = _race(
        deps,
        reference,
        seen,
        lambda: audits.fire(
            deps,
            audit=reference,
            trigger="agree_terms_of_reference",
            actor=email("chair"),
            expected_version=seen,
        ),
    )

    winners = [o for o in outcomes if isinstance(o, audits.Fired)]
    losers = [o for o in outcomes if isinstance(o, ConcurrencyConflict)]
    assert len(winners) == 1 and len(losers) == THREADS - 1
    with deps.uow(readonly=True) as uow:
        moved = uow.connection.execute(
            select(func.count())
            .select_from(t.event)
            .where(t.event.c.trigger == "agree_terms_of_reference")
        ).scalar_one()
    assert moved == 1
    status = queries.audit_status(deps, audit=reference, as_person=email("chair"))
    assert (status.state, status.version) == ("terms_of_reference_agreed", seen + 1)


@pytest.mark.slow
def test_concurrent_data_writes_are_never_lost(partnership: Deps) -> None:
    """Unversioned writes queue behind each other (row lock / BEGIN IMMEDIATE) rather than
    fail, and each is recorded exactly once."""
    deps = partnership
    reference = audits.start_audit(
        deps, audit_type="mace", theme="Race", lead=email("chair"), actor=email("coordinator")
    ).reference
    recorded: list[int] = []
    errors: list[Exception] = []

    def record(n: int) -> None:
        try:
            recorded.append(
                findings.record_finding(
                    deps, audit=reference, actor=email("chair"), kind="gap", summary=f"Finding {n}"
                )
            )
        except ConcurrencyConflict as exc:
            errors.append(exc)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(record, range(40)))
    history = queries.history(deps, audit=reference)
    assert errors == []
    assert len(set(recorded)) == 40
    assert len([e for e in history if e.trigger == "record_finding"]) == 40
    assert [e.version for e in history] == list(range(1, len(history) + 1))
