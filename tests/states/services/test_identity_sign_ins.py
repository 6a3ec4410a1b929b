"""The engine's side of signing in with an organisation's account, on both stores: attempts
kept by their state's hash, taken once (a replay, two callbacks at once, another browser, an
old attempt, another provider: all refused), and who the verified address is, as password
sign-in decides it."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from states.clock import FakeClock
from states.errors import (
    EmailNotVerified,
    NotInDirectory,
    PermissionDenied,
    SignInAttemptInvalid,
)
from states.persistence import tables as t
from states.services import identity_sign_ins, people, web_sessions
from states.services.deps import Deps
from states.services.identity_sign_ins import ATTEMPT_LIFETIME, Attempt, VerifiedIdentity
from tests.support.partnership import email

PROVIDER = "northvale"


def _begin(deps: Deps) -> Attempt:
    return identity_sign_ins.begin(deps, provider=PROVIDER, next_page="/themes")


def _take(deps: Deps, attempt: Attempt, *, bound: str | None = None) -> Attempt:
    return identity_sign_ins.take(
        deps, provider=PROVIDER, state=attempt.state, bound=bound or attempt.state
    )


def _rows(deps: Deps) -> list[tuple[object, ...]]:
    with deps.uow(readonly=True) as uow:
        return [tuple(row) for row in uow.connection.execute(select(t.sign_in_attempt)).all()]


def _who(deps: Deps, address: str, *, verified: bool = True) -> int:
    identity = VerifiedIdentity(email=address, email_verified=verified)
    return identity_sign_ins.sign_in(deps, provider=PROVIDER, identity=identity).person_id


def test_an_attempt_is_kept_by_its_states_hash_only(partnership: Deps) -> None:
    attempt = _begin(partnership)
    assert len({attempt.state, attempt.nonce, attempt.code_verifier}) == 3
    assert 43 <= len(attempt.code_verifier) <= 128  # RFC 7636
    (row,) = _rows(partnership)
    assert attempt.state not in row
    assert identity_sign_ins.digest(attempt.state) in row


def test_an_attempt_is_taken_once_with_what_it_remembers(partnership: Deps) -> None:
    attempt = _begin(partnership)
    assert _take(partnership, attempt) == attempt
    with pytest.raises(SignInAttemptInvalid):
        _take(partnership, attempt)


def test_another_browser_is_refused_and_spends_nothing(partnership: Deps) -> None:
    attempt = _begin(partnership)
    for cookie in (None, "", "someone-elses-state", "é"):
        with pytest.raises(SignInAttemptInvalid):
            identity_sign_ins.take(
                partnership, provider=PROVIDER, state=attempt.state, bound=cookie
            )
    assert _take(partnership, attempt).nonce == attempt.nonce


def test_an_unknown_state_or_another_providers_is_refused(partnership: Deps) -> None:
    attempt = _begin(partnership)
    made_up = "x" * 43
    with pytest.raises(SignInAttemptInvalid):
        identity_sign_ins.take(partnership, provider=PROVIDER, state=made_up, bound=made_up)
    with pytest.raises(SignInAttemptInvalid):
        identity_sign_ins.take(
            partnership, provider="elsewhere", state=attempt.state, bound=attempt.state
        )
    assert _take(partnership, attempt) == attempt


def test_an_attempt_lasts_ten_minutes_by_the_engines_clock(
    partnership: Deps, clock: FakeClock
) -> None:
    fresh, late = _begin(partnership), _begin(partnership)
    clock.advance(ATTEMPT_LIFETIME - timedelta(seconds=1))
    assert _take(partnership, fresh) == fresh
    clock.advance(timedelta(seconds=1))
    with pytest.raises(SignInAttemptInvalid):
        _take(partnership, late)


def test_old_attempts_are_cleared_when_new_ones_begin(partnership: Deps, clock: FakeClock) -> None:
    _begin(partnership)
    clock.advance(identity_sign_ins.KEPT_FOR + timedelta(seconds=1))
    _begin(partnership)
    assert len(_rows(partnership)) == 1


def test_two_callbacks_at_once_take_an_attempt_once(partnership: Deps) -> None:
    attempts = [_begin(partnership) for _ in range(5)]
    barrier = threading.Barrier(10)

    def callback(attempt: Attempt) -> str:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=30)
        try:
            return _take(partnership, attempt).state
        except SignInAttemptInvalid:
            return "refused"

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(callback, [a for a in attempts for _ in range(2)]))
    assert sorted(o for o in outcomes if o != "refused") == sorted(a.state for a in attempts)
    assert outcomes.count("refused") == 5
    with partnership.uow(readonly=True) as uow:
        used = uow.connection.execute(
            select(func.count()).where(t.sign_in_attempt.c.used_at.is_not(None))
        ).scalar_one()
    assert used == 5


def test_the_person_is_found_by_address_whatever_its_case(partnership: Deps) -> None:
    mixed = email("coordinator").upper()
    assert _who(partnership, f" {mixed} ") == _who(partnership, email("coordinator"))


def test_an_unverified_address_is_refused_even_for_a_coordinator(partnership: Deps) -> None:
    with pytest.raises(EmailNotVerified):
        _who(partnership, email("coordinator"), verified=False)


@pytest.mark.parametrize("address", ["nobody@example.org", email("lead.police"), ""])
def test_unknown_or_without_a_sign_in_role_is_refused_for_lack_of_role(
    partnership: Deps, address: str
) -> None:
    with pytest.raises(NotInDirectory) as refused:
        _who(partnership, address)
    assert isinstance(refused.value, PermissionDenied)  # the web's 403


def test_removed_is_refused_as_unknown_and_the_session_it_had_ends(partnership: Deps) -> None:
    person_id = _who(partnership, email("chair"))
    session = web_sessions.start(partnership, person_id=person_id, lifetime=timedelta(hours=8))
    assert web_sessions.viewer(partnership, session_id=session) is not None
    people.deactivate_person(
        partnership, person=email("chair"), actor=email("coordinator"), reason="Left the post"
    )
    assert web_sessions.viewer(partnership, session_id=session) is None
    with pytest.raises(NotInDirectory) as refused:
        _who(partnership, email("chair"))
    with pytest.raises(NotInDirectory) as unknown:
        _who(partnership, "nobody@example.org")
    assert str(refused.value) == str(unknown.value)
