"""Password rules without a database: what may be a password, how it is hashed, and how a
typed one is checked.

Every test here hashes with the engine's own parameters (the rest of the suite hashes with
argon2-cffi's cheapest, see ``tests/conftest.py``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from argon2 import extract_parameters, profiles

from states.errors import WeakPassword
from states.rules.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    PARAMETERS,
    check_change,
    check_password,
    hash_password,
    matches,
    parameters_in_use,
    use_parameters,
)
from tests.support.paths import ROOT

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def engine_parameters() -> Iterator[None]:
    """The engine's parameters for this module's tests, and the suite's back after each."""
    suites = parameters_in_use()
    use_parameters(PARAMETERS)
    yield
    use_parameters(suites)


def test_hashes_are_argon2id_with_rfc_9106_second_recommended_parameters() -> None:
    assert PARAMETERS == profiles.RFC_9106_LOW_MEMORY
    assert extract_parameters(hash_password(PASSPHRASE)) == profiles.RFC_9106_LOW_MEMORY
    assert hash_password(PASSPHRASE).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_the_engine_hashes_with_its_own_parameters_unless_told_otherwise() -> None:
    """A fresh process, as the CLI and the web app start, chooses no other parameters."""
    code = (
        "from argon2 import extract_parameters\n"
        "from states.rules.passwords import PARAMETERS, hash_password, parameters_in_use\n"
        "assert parameters_in_use() == PARAMETERS\n"
        "print(extract_parameters(hash_password('correct horse battery staple')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == repr(profiles.RFC_9106_LOW_MEMORY)


def test_a_hash_is_checked_with_the_parameters_that_made_it() -> None:
    """What the suite's cheaper hashes rely on: the parameters are read from the hash."""
    use_parameters(profiles.CHEAPEST)
    cheap = hash_password(PASSPHRASE)
    use_parameters(PARAMETERS)
    assert extract_parameters(cheap) == profiles.CHEAPEST
    assert matches(cheap, PASSPHRASE)
    assert not matches(cheap, PASSPHRASE.upper())


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
