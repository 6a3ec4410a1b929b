"""Password rules without a database: what may be a password, and how a typed one is checked."""

from __future__ import annotations

import pytest

from states.errors import WeakPassword
from states.rules.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    check_change,
    check_password,
    hash_password,
    matches,
)

PASSPHRASE = "correct horse battery staple"


@pytest.mark.parametrize("length", [MIN_LENGTH - 1, MAX_LENGTH + 1])
def test_a_password_too_short_or_too_long_is_refused(length: int) -> None:
    with pytest.raises(WeakPassword):
        check_password("x" * length)
    with pytest.raises(WeakPassword):
        hash_password("x" * length)


@pytest.mark.parametrize("length", [MIN_LENGTH, MAX_LENGTH])
def test_length_is_the_only_rule(length: int) -> None:
    check_password("a" * length)  # no digits, no capitals, no symbols asked for


def test_a_change_must_change_the_password() -> None:
    with pytest.raises(WeakPassword, match="not the one you have now"):
        check_change(PASSPHRASE, PASSPHRASE)
    check_change(PASSPHRASE, "another long passphrase")


def test_only_the_password_hashed_matches_its_hash() -> None:
    stored = hash_password(PASSPHRASE)
    assert PASSPHRASE not in stored
    assert matches(stored, PASSPHRASE)
    assert not matches(stored, PASSPHRASE.upper())
    assert not matches(None, PASSPHRASE)
    assert not matches("not an argon2 hash", PASSPHRASE)


def test_a_typed_password_longer_than_any_password_never_matches() -> None:
    """Only the first ``MAX_LENGTH`` characters are hashed (a megabyte costs no more), so the
    length itself must refuse what the hash would accept."""
    longest = "p" * MAX_LENGTH
    stored = hash_password(longest)
    assert matches(stored, longest)
    assert not matches(stored, longest + "p")
