"""Throttling rules without a database: how long a pair waits, and when the holder is told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from states.rules.throttling import (
    ADDRESS_LENGTH,
    FORGET_AFTER,
    FREE_TRIES,
    MAX_WAIT,
    SPREAD_ALERT,
    account_key,
    address_key,
    delay,
    wait_left,
    worth_telling,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_free_tries_cost_nothing_then_each_wait_doubles_up_to_the_cap() -> None:
    assert [delay(n) for n in range(FREE_TRIES)] == [timedelta(0)] * FREE_TRIES
    assert [delay(FREE_TRIES + n).total_seconds() for n in range(4)] == [1, 2, 4, 8]
    assert delay(FREE_TRIES + 60) == MAX_WAIT


def test_a_pair_waits_out_the_delay_after_its_last_failure() -> None:
    failures = FREE_TRIES + 3  # 8 seconds
    assert wait_left(failures, NOW, NOW) == timedelta(seconds=8)
    assert wait_left(failures, NOW - timedelta(seconds=5), NOW) == timedelta(seconds=3)
    assert wait_left(failures, NOW - timedelta(seconds=8), NOW) is None
    assert wait_left(FREE_TRIES - 1, NOW, NOW) is None


def test_however_many_failures_a_pair_waits_at_most_the_cap() -> None:
    second = timedelta(seconds=1)
    assert wait_left(FREE_TRIES + 60, NOW - MAX_WAIT + second, NOW) == second
    assert wait_left(FREE_TRIES + 60, NOW - MAX_WAIT, NOW) is None
    assert wait_left(FREE_TRIES + 60, NOW - FORGET_AFTER, NOW) is None


def test_the_holder_is_told_when_one_pair_waits_or_failures_spread_wide() -> None:
    assert not worth_telling(pair_failures=FREE_TRIES - 1, account_failures=SPREAD_ALERT - 1)
    assert worth_telling(pair_failures=FREE_TRIES, account_failures=FREE_TRIES)
    assert worth_telling(pair_failures=1, account_failures=SPREAD_ALERT)


def test_the_pair_is_the_typed_address_as_sign_in_reads_it_and_the_network_address() -> None:
    assert account_key(" Coordinator@Example.org ") == account_key("coordinator@example.org")
    assert "coordinator" not in account_key("coordinator@example.org")
    assert address_key("x" * (ADDRESS_LENGTH + 10)) == "x" * ADDRESS_LENGTH
