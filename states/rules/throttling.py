"""How wrong passwords slow down the address they come from, for the account typed.

A lockout per account lets anyone lock staff out by typing their address with a wrong
password. Instead, failures are counted per (account, network address) pair: the first
``FREE_TRIES`` cost nothing, then each further try from that pair waits twice as long as the
one before (1, 2, 4 ... seconds, at most ``MAX_WAIT``). The owner at another address is never
slowed. The account is the SHA-256 of the typed address, whether an account exists or not, so
being held back says nothing about which addresses have accounts. Pairs idle for
``FORGET_AFTER`` are forgotten. When failures pile up (a pair starts waiting, or many
addresses together reach ``SPREAD_ALERT``) the holder is worth telling, at most once per
``TELL_EVERY``. The counts themselves are kept by ``states.services.sign_ins``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

FREE_TRIES = 3
MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)
# Guesses spread thin (a few per address from many addresses) are told of too.
SPREAD_ALERT = 10
TELL_EVERY = timedelta(days=1)
# Long enough for any IPv6 address; a longer "address" is cut rather than refused.
ADDRESS_LENGTH = 64


def account_key(email: str) -> str:
    """The pair's account half: the typed address, as sign-in reads it, hashed."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def address_key(address: str) -> str:
    """The pair's address half, as it is kept."""
    return address[:ADDRESS_LENGTH]


def delay(failures: int) -> timedelta:
    """How long after the last failure the next try must wait, after ``failures`` of them."""
    if failures < FREE_TRIES:
        return timedelta(0)
    return min(timedelta(seconds=1 << min(failures - FREE_TRIES, 20)), MAX_WAIT)


def wait_left(failures: int, last_failed_at: datetime, now: datetime) -> timedelta | None:
    """How long a pair with ``failures``, the last at ``last_failed_at``, must still wait at
    ``now`` before a password may be checked; ``None`` when it may try now."""
    if last_failed_at <= now - FORGET_AFTER:
        return None
    remaining = last_failed_at + delay(failures) - now
    return remaining if remaining > timedelta(0) else None


def worth_telling(*, pair_failures: int, account_failures: int) -> bool:
    """Whether the holder should hear of the failures: one pair is being held back, or the
    account's failures from every address together have reached ``SPREAD_ALERT``."""
    return pair_failures >= FREE_TRIES or account_failures >= SPREAD_ALERT
