"""Samples are seeded, reproducible and recorded (the deep dive's sample: test_deep_dive.py)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from states.errors import GateBlocked, InvalidInput
from states.persistence import tables as t
from states.services import audits, sampling
from states.services.deps import Deps
from states.services.sampling import CaseCandidate, choose
from tests.support.partnership import email

POOL = [
    CaseCandidate(
        f"CASE-{n:03d}",
        agencies=(("police", "csc") if n % 2 else ("csc", "acute")),
        last_intervention_on=date(2026, 1, 1),
    )
    for n in range(1, 41)
]


def test_draws_are_reproducible_from_their_seed() -> None:
    first = choose(POOL, "random", 8, seed=42)
    assert (
        choose(list(reversed(POOL)), "random", 8, seed=42) == first
    )  # order of the pool is irrelevant
    assert choose(POOL, "random", 8, seed=43) != first
    assert len({c.reference for c in first}) == 8
    assert choose(POOL, "list", None, seed=0) == sorted(POOL, key=lambda c: c.reference)


def test_random_per_agency_draws_n_for_every_agency() -> None:
    drawn = choose(POOL, "random_per_agency", 3, seed=5)
    for agency in ("police", "csc", "acute"):
        assert sum(agency in c.agencies for c in drawn) >= 3
    assert len(drawn) <= 9
    with pytest.raises(InvalidInput, match="how many cases to draw"):
        choose(POOL, "random", 0, seed=1)


def _start(deps: Deps, audit_type: str) -> str:
    return audits.start_audit(
        deps,
        audit_type=audit_type,
        theme="Sampling",
        lead=email("chair"),
        actor=email("coordinator"),
        agencies=["police", "csc"],
    ).reference


def test_a_sample_is_recorded_and_gated_on_the_twelve_month_window(partnership: Deps) -> None:
    deps = partnership
    reference = _start(deps, "dip_sample")
    audits.fire(deps, audit=reference, trigger="agree_scope", actor=email("chair"))
    stale = [*POOL[:3], CaseCandidate("CASE-OLD", ("police",), None, date(2024, 6, 1))]
    draw = sampling.select_sample(
        deps,
        audit=reference,
        actor=email("coordinator"),
        candidates=stale,
        method="random",
        size=4,
        seed=11,
    )
    # A random draw passes over the case outside the window...
    assert draw.seed == 11 and sorted(draw.chosen) == sorted(c.reference for c in stale[:3])
    assert draw.ineligible == 1
    with deps.uow(readonly=True) as uow:
        recorded = uow.connection.execute(
            select(t.sample.c.method, t.sample.c.seed, t.sample.c.size, t.sample.c.selected)
        ).one()
    assert recorded[:3] == ("random", 11, 4) and json.loads(recorded[3]) == draw.chosen
    # ...a list is taken as given, and the gate names the case.
    sampling.select_sample(
        deps, audit=reference, actor=email("coordinator"), candidates=stale[3:], method="list"
    )
    with pytest.raises(GateBlocked, match="cases CASE-OLD had no intervention between"):
        audits.fire(deps, audit=reference, trigger="select_sample", actor=email("chair"))


def test_a_seed_is_made_and_recorded_when_none_is_given(partnership: Deps) -> None:
    deps = partnership
    reference = _start(deps, "mace")
    draw = sampling.select_sample(
        deps, audit=reference, actor=email("coordinator"), candidates=POOL, method="random", size=5
    )
    assert draw.seed is not None
    assert [c.reference for c in choose(POOL, "random", 5, draw.seed)] == draw.chosen
