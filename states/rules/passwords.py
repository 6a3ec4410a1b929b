"""Passwords: what may be one, how it is hashed, and how a typed one is checked.

Hashes are argon2id with RFC 9106's second recommended parameters (``PARAMETERS``, which are
argon2-cffi's defaults). Checking a typed password always verifies one hash, a dummy one where
the account has none, so the time it takes does not tell an address with an account from one
without. Each hash takes 64 MiB, so hashing has a fixed
number of slots (``HashingSlots``); when none frees up in a moment the try raises
``HashingBusy`` rather than queue without limit. Who may hold a password is the policy's
``Permission.SIGN_IN``; storing one is ``states.services.credentials``.

The engine never chooses other parameters. ``use_parameters`` exists for the test suite alone,
which hashes with argon2-cffi's ``profiles.CHEAPEST`` so that its thousands of sign-ins cost
microseconds rather than 64 MiB and half a second each; a hash is verified with the parameters
written into it, so a check works whichever parameters made the hash.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from states.errors import HashingBusy, WeakPassword

MIN_LENGTH = 12
# Long enough for any passphrase; a cap stops a megabyte "password" costing a hash each try.
MAX_LENGTH = 256
# argon2id, 3 passes over 64 MiB in 4 lanes: named rather than left to the library's defaults,
# so that a change of those is never a silent change of ours.
PARAMETERS = profiles.RFC_9106_LOW_MEMORY


class HashingSlots:
    """At most ``limit`` argon2 hashes at once in this process, each taking 64 MiB: a flood of
    sign-ins waits ``wait_seconds`` for a slot, then is turned away (``HashingBusy``)."""

    def __init__(self, limit: int = 4, *, wait_seconds: float = 2.0) -> None:
        self._slots = threading.BoundedSemaphore(limit)
        self.wait_seconds = wait_seconds

    @contextmanager
    def slot(self) -> Iterator[None]:
        # A semaphore's own timeout: it waits on the system's monotonic clock, which the
        # engine's clock need not know about (no business time is read here).
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise HashingBusy
        try:
            yield
        finally:
            self._slots.release()


# For callers outside the web app (the CLI sets one password per run); the web app makes its
# own from its settings.
HASHING = HashingSlots()


def check_password(password: str) -> None:
    """Length only, as the NCSC advises: no composition rules, which push people to patterns."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters; a few words together work.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.")


def check_change(current: str, new: str) -> None:
    """A person's own change: the new password passes ``check_password`` and is not the
    current one (compared in constant time, as any comparison with a secret is)."""
    check_password(new)
    if hmac.compare_digest(current.encode(), new.encode()):
        raise WeakPassword("Choose a new password, not the one you have now.")


def hash_password(password: str, *, slots: HashingSlots = HASHING) -> str:
    """The hash to store, after ``check_password``."""
    check_password(password)
    with slots.slot():
        return _hasher().hash(password)


def matches(password_hash: str | None, password: str, *, slots: HashingSlots = HASHING) -> bool:
    """Whether ``password`` is the one ``password_hash`` was made from; ``False`` where there
    is no hash, after the same work, and for anything longer than a password may be."""
    with slots.slot():
        verified = _verify(password_hash or _dummy_hash(), password[:MAX_LENGTH])
    return password_hash is not None and verified and len(password) <= MAX_LENGTH


def use_parameters(parameters: Parameters) -> None:
    """Hash with ``parameters`` from now on in this process (see the module's note: only the
    test suite calls this; the engine hashes with ``PARAMETERS``)."""
    _IN_USE.hashing = _Hashing(parameters)


def parameters_in_use() -> Parameters:
    return _IN_USE.hashing.parameters


class _Hashing:
    """One parameter set, its hasher, and the dummy hash made with it (when first needed:
    importing this module hashes nothing)."""

    def __init__(self, parameters: Parameters) -> None:
        self.parameters = parameters
        self.hasher = PasswordHasher.from_parameters(parameters)
        self._dummy: str | None = None

    def dummy_hash(self) -> str:
        """Verified against when there is no real hash, so that path costs the same."""
        if self._dummy is None:
            self._dummy = self.hasher.hash("no account has this password")
        return self._dummy


class _InUse:
    """The hashing this process does, replaced whole, never changed in place: a hasher and
    the dummy hash made with it always go together."""

    def __init__(self) -> None:
        self.hashing = _Hashing(PARAMETERS)


_IN_USE = _InUse()


def _hasher() -> PasswordHasher:
    return _IN_USE.hashing.hasher


def _dummy_hash() -> str:
    return _IN_USE.hashing.dummy_hash()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
