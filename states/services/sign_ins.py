"""Wrong passwords slow down the address they come from, for the account they were typed for.

A lockout per account lets anyone lock staff out by typing their address with a wrong
password. Instead, failures are counted per (account, network address) pair: the first
``FREE_TRIES`` cost nothing, then each further try from that pair waits twice as long as the
one before (1, 2, 4 ... seconds, at most ``MAX_WAIT``), on the engine's clock. The owner at
another address is never slowed. The account is the SHA-256 of the typed address, whether an
account exists or not, so being held back says nothing about which addresses have accounts.
A right password clears the pair; pairs idle for ``FORGET_AFTER`` are forgotten.

When failures pile up (a pair starts waiting, or many addresses together reach
``SPREAD_ALERT``), the account's holder is e-mailed — at most once a day, counts only.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from states.clock import as_utc
from states.persistence import notices
from states.persistence import tables as t
from states.services.deps import Deps

FREE_TRIES = 3
MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)
# Guesses spread thin (a few per address from many addresses) are told of too.
SPREAD_ALERT = 10
TELL_EVERY = timedelta(days=1)
# Long enough for any IPv6 address; a longer "address" is cut rather than refused.
ADDRESS_LENGTH = 64
# Where the e-mail sends the holder: their own password page.
ACCOUNT_PAGE = "/account/password"
th = t.sign_in_throttle


def account_key(email: str) -> str:
    """The pair's account half: the typed address, as sign-in reads it, hashed."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def delay(failures: int) -> timedelta:
    """How long after the last failure the next try must wait, after ``failures`` of them."""
    if failures < FREE_TRIES:
        return timedelta(0)
    return min(timedelta(seconds=1 << min(failures - FREE_TRIES, 20)), MAX_WAIT)


def wait_for(deps: Deps, *, email: str, address: str) -> timedelta | None:
    """How long this pair must still wait before a password may be checked, or ``None``."""
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        row = uow.connection.execute(
            select(th.c.failures, th.c.last_failed_at).where(*_pair(email, address))
        ).first()
    if row is None:
        return None
    last = as_utc(row.last_failed_at)
    if last <= now - FORGET_AFTER:
        return None
    remaining = last + delay(row.failures) - now
    return remaining if remaining > timedelta(0) else None


def record_failure(deps: Deps, *, email: str, address: str, holder: int | None) -> None:
    """Count a wrong password for the pair; ``holder`` is the person the typed address
    belongs to (``None`` when it is nobody's, or theirs cannot sign in), who may be told."""
    now = deps.clock.now()
    key = account_key(email)
    with deps.uow() as uow:
        connection = uow.connection
        connection.execute(delete(th).where(th.c.last_failed_at <= now - FORGET_AFTER))
        _count(connection, key, address[:ADDRESS_LENGTH], now)
        if holder is not None:
            _tell_if_due(connection, key, address[:ADDRESS_LENGTH], holder, now)
        uow.commit()


def record_success(deps: Deps, *, email: str, address: str) -> None:
    with deps.uow() as uow:
        uow.connection.execute(delete(th).where(*_pair(email, address)))
        uow.commit()


def _pair(email: str, address: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (th.c.account_hash == account_key(email), th.c.address == address[:ADDRESS_LENGTH])


def _count(connection: Connection, key: str, address: str, now: datetime) -> None:
    """One statement, so two wrong passwords at once both count."""
    build = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = build(th).values(
        account_hash=key, address=address, failures=1, first_failed_at=now, last_failed_at=now
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[th.c.account_hash, th.c.address],
            set_={"failures": th.c.failures + 1, "last_failed_at": now},
        )
    )


def _tell_if_due(
    connection: Connection, key: str, address: str, holder: int, now: datetime
) -> None:
    pair_failures = connection.execute(
        select(th.c.failures).where(th.c.account_hash == key, th.c.address == address)
    ).scalar_one()
    failures, addresses, since = connection.execute(
        select(func.sum(th.c.failures), func.count(), func.min(th.c.first_failed_at)).where(
            th.c.account_hash == key
        )
    ).one()
    if pair_failures < FREE_TRIES and failures < SPREAD_ALERT:
        return
    if not _claim_telling(connection, holder, now):
        return
    notices.queue(
        connection,
        kind="sign_in_failures",
        audit_id=None,
        subject_id=None,
        recipient_ids=[holder],
        at=now,
        key_prefix=f"sign_in_failures:{now.isoformat()}",
        context={
            "failures": str(failures),
            "addresses": str(addresses),
            "since": as_utc(since).isoformat(),
            "link_path": ACCOUNT_PAGE,
        },
    )


def _claim_telling(connection: Connection, holder: int, now: datetime) -> bool:
    """Compare-and-set on the holder's credential: of two failures at once, one tells."""
    c = t.credential
    claimed = connection.execute(
        update(c)
        .where(
            c.c.person_id == holder,
            or_(c.c.failures_told_at.is_(None), c.c.failures_told_at <= now - TELL_EVERY),
        )
        .values(failures_told_at=now)
    ).rowcount
    return claimed == 1
