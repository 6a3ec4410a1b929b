"""One leader for periodic work: the lease goes to one worker, lapses when it stops renewing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from states.clock import FakeClock
from states.persistence.lease import Lease
from states.services.deps import Deps

MINUTE = timedelta(minutes=1)


def lease(deps: Deps, holder: str) -> Lease:
    return Lease(deps.uow, deps.clock, name="periodic-work", holder=holder, duration=3 * MINUTE)


def test_one_holder_until_it_lapses_or_is_released(deps: Deps, clock: FakeClock) -> None:
    first, second = lease(deps, "worker-a"), lease(deps, "worker-b")
    assert first.acquire() and not second.acquire()
    clock.advance(2 * MINUTE)
    assert first.acquire(), "the holder renews"
    clock.advance(2 * MINUTE)
    assert not second.acquire(), "renewed, so not yet lapsed"
    clock.advance(2 * MINUTE)
    assert second.acquire(), "a holder that stopped renewing loses the lease"
    assert not first.acquire() and second.holder_now() == "worker-b"
    second.release()
    assert second.holder_now() is None and first.acquire()


def test_racing_workers_elect_exactly_one(deps: Deps) -> None:
    contenders = [lease(deps, f"worker-{n}") for n in range(10)]
    barrier = threading.Barrier(len(contenders))

    def race(candidate: Lease) -> bool:
        barrier.wait()
        return candidate.acquire()

    with ThreadPoolExecutor(len(contenders)) as pool:
        won = list(pool.map(race, contenders))
    assert won.count(True) == 1


def judged(deps: Deps, holder: str, dead: set[str], asked: list[str] | None = None) -> Lease:
    """A lease whose judge of other holders says the ones in ``dead`` are gone."""

    def alive(other: str) -> bool:
        if asked is not None:
            asked.append(other)
        return other not in dead

    return Lease(
        deps.uow,
        deps.clock,
        name="periodic-work",
        holder=holder,
        duration=3 * MINUTE,
        holder_alive=alive,
    )


def test_a_holder_found_dead_is_passed_over_at_once(deps: Deps) -> None:
    first = judged(deps, "worker-a", dead=set())
    second = judged(deps, "worker-b", dead={"worker-a"})
    assert first.acquire() and second.acquire(), "no need to wait for the dead one's lease"
    assert second.holder_now() == "worker-b" and not first.acquire()


def test_a_live_holder_is_never_passed_over_and_only_others_are_judged(
    deps: Deps, clock: FakeClock
) -> None:
    asked: list[str] = []
    first = judged(deps, "worker-a", dead=set(), asked=asked)
    second = judged(deps, "worker-b", dead=set(), asked=asked)
    assert first.acquire() and first.acquire() and asked == [], "its own lease is not judged"
    assert not second.acquire() and asked == ["worker-a"]
    clock.advance(3 * MINUTE)
    assert second.acquire() and asked == ["worker-a"], "a lapsed lease needs no judging"


def test_workers_racing_for_a_dead_holders_lease_elect_exactly_one(deps: Deps) -> None:
    assert judged(deps, "worker-dead", dead=set()).acquire()
    contenders = [judged(deps, f"worker-{n}", dead={"worker-dead"}) for n in range(10)]
    barrier = threading.Barrier(len(contenders))

    def race(candidate: Lease) -> bool:
        barrier.wait()
        return candidate.acquire()

    with ThreadPoolExecutor(len(contenders)) as pool:
        won = list(pool.map(race, contenders))
    assert won.count(True) == 1
    assert contenders[won.index(True)].holder_now() == f"worker-{won.index(True)}"
