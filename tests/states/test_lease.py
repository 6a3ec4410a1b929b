"""One leader for periodic work: the lease goes to one worker, lapses when it stops renewing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from states.clock import FakeClock
from states.lease import Lease
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
