"""Passwords for the people who sign in: coordinators and learning hub members.

Agencies never sign in (they act by e-mailed link), so a password can be set only for a
person holding one of ``SIGN_IN_ROLES``, and losing that role locks them out again. Hashes
are argon2id (argon2-cffi's RFC 9106 defaults). This lives beside the CLI and the web app
rather than in ``states/`` because only these two entry points need it, and the engine stays
free of password handling.

Sign-in says nothing about why it failed: an unknown address, a wrong password, a person
without the role and a locked account all give ``None``, and each path verifies one argon2
hash (a dummy one where there is no real one), so neither the answer nor its timing tells an
address that has an account from one that has not.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, case, func, insert, select, update

from states import tables as t
from states.clock import as_utc
from states.errors import AuditEngineError, NotFound
from states.services.deps import Deps

SIGN_IN_ROLES = frozenset({"coordinator", "learning_hub_member"})
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_LENGTH = 12
# Long enough for any passphrase; a cap stops a megabyte "password" costing a hash each try.
MAX_LENGTH = 256

log = logging.getLogger("oscp_flow.accounts")
c = t.credential


class NoSignIn(AuditEngineError):
    def __init__(self, email: str) -> None:
        super().__init__(
            f"{email} is not a coordinator or learning hub member, so cannot sign in; "
            "agencies act by the links in their e-mails."
        )


class WeakPassword(AuditEngineError):
    """A password refused before it is stored."""


@dataclass(frozen=True)
class SignedIn:
    """Who signed in, and the stamp of the password they used (see ``stamp``)."""

    person_id: int
    stamp: str


@dataclass(frozen=True)
class Viewer:
    """A signed-in person, as each page request finds them."""

    id: int
    name: str
    roles: frozenset[str]


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when there is no real hash, so that path costs the same."""
    return _hasher().hash("no account has this password")


def stamp(password_hash: str) -> str:
    """A value that changes whenever the password is set (argon2 salts every hash anew):
    sessions carry it, so setting a password ends every session signed in with the old one."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


def check_password(password: str) -> None:
    """Length only, as the NCSC advises: no composition rules, which push people to patterns."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters; a few words together work.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.")


def set_password(deps: Deps, *, email: str, password: str) -> None:
    """Set (or replace) a person's password; resets the lockout and ends their sessions."""
    check_password(password)
    hashed = _hasher().hash(password)
    values = {"password_hash": hashed, "changed_at": deps.clock.now()}
    reset = {"failed_count": 0, "locked_until": None}
    with deps.uow() as uow:
        person_id, roles = _person(uow.connection, email)
        if person_id is None:
            raise NotFound("person", email)
        if not roles & SIGN_IN_ROLES:
            raise NoSignIn(email)
        changed = uow.connection.execute(
            update(c).where(c.c.person_id == person_id).values(**values, **reset)
        )
        if changed.rowcount == 0:
            uow.connection.execute(insert(c).values(person_id=person_id, **values, **reset))
        uow.commit()
    log.info("password set for person %d", person_id)


def change_password(deps: Deps, *, person_id: int, current: str, new: str) -> SignedIn | None:
    """A signed-in person's own change: the current password first (a wrong one counts
    towards the lockout, as at sign-in), then the new one, which ends every session made
    with the old. Returns the new sign-in, or ``None`` when the current password is wrong."""
    check_password(new)
    if hmac.compare_digest(current.encode(), new.encode()):
        raise WeakPassword("Choose a new password, not the one you have now.")
    with deps.uow(readonly=True) as uow:
        email = uow.connection.execute(
            select(t.person.c.email).where(t.person.c.id == person_id)
        ).scalar_one()
    if authenticate(deps, email=email, password=current) is None:
        return None
    set_password(deps, email=email, password=new)
    return authenticate(deps, email=email, password=new)


def _person(connection: Connection, email: str) -> tuple[int | None, frozenset[str]]:
    rows = connection.execute(
        select(t.person.c.id, t.role.c.role)
        .outerjoin(t.role, t.role.c.person_id == t.person.c.id)
        .where(func.lower(t.person.c.email) == email.strip().lower())
    ).all()
    if not rows:
        return None, frozenset()
    return rows[0][0], frozenset(role for _, role in rows if role is not None)


def authenticate(deps: Deps, *, email: str, password: str) -> SignedIn | None:
    """The person, if the address and password match an account that may sign in now."""
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        person_id, roles = _person(uow.connection, email)
        row = None
        if person_id is not None and roles & SIGN_IN_ROLES:
            row = uow.connection.execute(
                select(c.c.password_hash, c.c.locked_until).where(c.c.person_id == person_id)
            ).first()
    locked = row is not None and row.locked_until is not None and as_utc(row.locked_until) > now
    if row is None or locked or len(password) > MAX_LENGTH:
        _verify(_dummy_hash(), password[:MAX_LENGTH])
        if locked:
            log.info("sign-in refused: person %s is locked out", person_id)
        return None
    assert person_id is not None  # a credential row was found for this person
    if not _verify(row.password_hash, password):
        _count_failure(deps, person_id, now)
        return None
    _reset_failures(deps, person_id)
    return SignedIn(person_id, stamp(row.password_hash))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _count_failure(deps: Deps, person_id: int, now: datetime) -> None:
    """One statement, so two wrong guesses at once both count; the fifth locks the account
    and starts the count again for after the lock."""
    reaching = c.c.failed_count + 1 >= MAX_FAILURES
    with deps.uow() as uow:
        uow.connection.execute(
            update(c)
            .where(c.c.person_id == person_id)
            .values(
                failed_count=case((reaching, 0), else_=c.c.failed_count + 1),
                locked_until=case((reaching, now + LOCKOUT), else_=c.c.locked_until),
            )
        )
        uow.commit()
    log.info("sign-in refused: wrong password for person %d", person_id)


def _reset_failures(deps: Deps, person_id: int) -> None:
    with deps.uow() as uow:
        uow.connection.execute(
            update(c).where(c.c.person_id == person_id, c.c.failed_count > 0).values(failed_count=0)
        )
        uow.commit()


def viewer(deps: Deps, *, person_id: int, signed_stamp: str) -> Viewer | None:
    """The signed-in person, while their password and their sign-in role are still those the
    session was made with; ``None`` ends the session."""
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.person.c.name, c.c.password_hash, t.role.c.role)
            .join(c, c.c.person_id == t.person.c.id)
            .outerjoin(t.role, t.role.c.person_id == t.person.c.id)
            .where(t.person.c.id == person_id)
        ).all()
    if not rows or not hmac.compare_digest(stamp(rows[0].password_hash), signed_stamp):
        return None
    roles = frozenset(r.role for r in rows if r.role is not None)
    if not roles & SIGN_IN_ROLES:
        return None
    return Viewer(person_id, rows[0].name, roles)
