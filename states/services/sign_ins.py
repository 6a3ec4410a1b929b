"""Signing in with a password, and the counts of wrong ones that slow guessing down.

Sign-in says nothing about why it failed: an unknown address, a wrong password and a person
without the role all give ``None``, and each path verifies one argon2 hash
(``states.rules.passwords.matches``), so neither the answer nor its timing tells an address
that has an account from one that has not. Wrong passwords slow down only the (account,
address) pair they come from (``states.rules.throttling``): a held-back try raises
``TooSoon`` before anything is hashed, on the engine's clock. A right password clears the
pair. When failures pile up the account's holder is e-mailed, at most once a day, counts only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from states.clock import as_utc
from states.errors import TooSoon
from states.persistence import notices
from states.persistence import tables as t
from states.rules import passwords
from states.rules.passwords import HASHING, HashingSlots
from states.rules.policy import Permission, allows
from states.rules.throttling import (
    FORGET_AFTER,
    TELL_EVERY,
    account_key,
    address_key,
    wait_left,
    worth_telling,
)
from states.services.deps import Deps

# Where the e-mail sends the holder: their own password page.
ACCOUNT_PAGE = "/account/password"
log = logging.getLogger("states.services.sign_ins")
th = t.sign_in_throttle


@dataclass(frozen=True)
class SignedIn:
    person_id: int


def authenticate(
    deps: Deps,
    *,
    email: str,
    password: str,
    address: str,
    slots: HashingSlots = HASHING,
) -> SignedIn | None:
    """The person, if the address and password match an account that may sign in now.
    ``address`` is the client's network address: wrong passwords are counted per pair."""
    wait = wait_for(deps, email=email, address=address)
    if wait is not None:
        log.info("sign-in held back: wrong passwords from this address")
        raise TooSoon(wait)
    with deps.uow(readonly=True) as uow:
        person_id, password_hash = credential(uow.connection, email)
    # The hash is checked first, whoever typed what: skipping it would show in the timing.
    if not passwords.matches(password_hash, password, slots=slots) or person_id is None:
        holder = person_id if password_hash is not None else None
        record_failure(deps, email=email, address=address, holder=holder)
        log.info("sign-in refused")
        return None
    record_success(deps, email=email, address=address)
    return SignedIn(person_id)


def held_roles() -> ColumnElement[bool]:
    """A person's roles, none once a coordinator has removed them from the directory: so a
    removed person cannot sign in, and any session they still had ends at its next use."""
    return (t.role.c.person_id == t.person.c.id) & t.person.c.active


def person(connection: Connection, email: str) -> tuple[int | None, frozenset[str]]:
    """The person the typed address belongs to (as sign-in reads it), and their roles."""
    rows = connection.execute(
        select(t.person.c.id, t.role.c.role)
        .outerjoin(t.role, held_roles())
        .where(func.lower(t.person.c.email) == email.strip().lower())
    ).all()
    if not rows:
        return None, frozenset()
    return rows[0][0], frozenset(role for _, role in rows if role is not None)


def credential(connection: Connection, email: str) -> tuple[int | None, str | None]:
    """The person and their hash, the hash only when they may sign in."""
    person_id, roles = person(connection, email)
    if person_id is None or not allows(roles, Permission.SIGN_IN):
        return person_id, None
    found = connection.execute(
        select(t.credential.c.password_hash).where(t.credential.c.person_id == person_id)
    ).scalar_one_or_none()
    return person_id, found


def wait_for(deps: Deps, *, email: str, address: str) -> timedelta | None:
    """How long this pair must still wait before a password may be checked, or ``None``."""
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        row = uow.connection.execute(
            select(th.c.failures, th.c.last_failed_at).where(*_pair(email, address))
        ).first()
    if row is None:
        return None
    return wait_left(row.failures, as_utc(row.last_failed_at), now)


def record_failure(deps: Deps, *, email: str, address: str, holder: int | None) -> None:
    """Count a wrong password for the pair; ``holder`` is the person the typed address
    belongs to (``None`` when it is nobody's, or theirs cannot sign in), who may be told."""
    now = deps.clock.now()
    key = account_key(email)
    with deps.uow() as uow:
        connection = uow.connection
        connection.execute(delete(th).where(th.c.last_failed_at <= now - FORGET_AFTER))
        _count(connection, key, address_key(address), now)
        if holder is not None:
            _tell_if_due(connection, key, address_key(address), holder, now)
        uow.commit()


def record_success(deps: Deps, *, email: str, address: str) -> None:
    with deps.uow() as uow:
        uow.connection.execute(delete(th).where(*_pair(email, address)))
        uow.commit()


def _pair(email: str, address: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (th.c.account_hash == account_key(email), th.c.address == address_key(address))


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
    if not worth_telling(pair_failures=pair_failures, account_failures=failures):
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
