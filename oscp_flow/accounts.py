"""Passwords for the people who sign in: coordinators and learning hub members.

Agencies never sign in (they act by e-mailed link), so a password can be set only for a
person holding one of ``SIGN_IN_ROLES``, and losing that role ends their sessions. Hashes
are argon2id (argon2-cffi's RFC 9106 defaults). This lives beside the CLI and the web app
rather than in ``states/`` because only these two entry points need it, and the engine stays
free of password handling; sessions and throttling, which are plain records, are engine
services (``states.services.web_sessions``, ``states.services.sign_ins``).

Sign-in says nothing about why it failed: an unknown address, a wrong password and a person
without the role all give ``None``, and each path verifies one argon2 hash (a dummy one where
there is no real one), so neither the answer nor its timing tells an address that has an
account from one that has not. Wrong passwords slow down only the (account, address) pair
they come from: a held-back try raises ``TooSoon`` before anything is hashed. Each hash takes
64 MiB, so hashing has a fixed number of slots (``HashingSlots``); when none frees up in a
moment the try raises ``HashingBusy`` rather than queue without limit.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Connection, func, insert, select, update

from states.errors import AuditEngineError, NotFound
from states.persistence import tables as t
from states.rules.policy import Permission, roles_for
from states.services import sign_ins, web_sessions
from states.services.deps import Deps
from states.services.web_sessions import EndReason

# Who may sign in with a password is the engine's policy; the name stays for readers here.
SIGN_IN_ROLES = roles_for(Permission.SIGN_IN)
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


class TooSoon(AuditEngineError):
    """Wrong passwords from here for this address: the next try must wait ``wait``."""

    def __init__(self, wait: timedelta) -> None:
        self.wait = wait
        super().__init__(
            "Several wrong passwords have been tried for this e-mail address from here; "
            "wait a moment before trying again."
        )


class HashingBusy(AuditEngineError):
    """Every hashing slot is taken: the server is flooded with sign-ins."""

    retryable = True

    def __init__(self) -> None:
        super().__init__("Signing in is busy just now; try again in a minute.")


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


@dataclass(frozen=True)
class SignedIn:
    person_id: int


@dataclass(frozen=True)
class Viewer:
    """A signed-in person, as each page request finds them, and the session they are in."""

    id: int
    name: str
    roles: frozenset[str]
    session_id: int


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when there is no real hash, so that path costs the same."""
    return _hasher().hash("no account has this password")


def check_password(password: str) -> None:
    """Length only, as the NCSC advises: no composition rules, which push people to patterns."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters; a few words together work.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.")


def set_password(
    deps: Deps,
    *,
    email: str,
    password: str,
    slots: HashingSlots = HASHING,
    why: EndReason = "password_set",
    keep_session: int | None = None,
) -> None:
    """Set (or replace) a person's password and end their sessions (but ``keep_session``,
    the one a person changing their own password is in), in one transaction."""
    check_password(password)
    with slots.slot():
        hashed = _hasher().hash(password)
    now = deps.clock.now()
    values = {"password_hash": hashed, "changed_at": now}
    with deps.uow() as uow:
        person_id, roles = _person(uow.connection, email)
        if person_id is None:
            raise NotFound("person", email)
        if not roles & SIGN_IN_ROLES:
            raise NoSignIn(email)
        changed = uow.connection.execute(update(c).where(c.c.person_id == person_id).values(values))
        if changed.rowcount == 0:
            uow.connection.execute(insert(c).values(person_id=person_id, **values))
        web_sessions.end_sessions_in(
            uow.connection, person_id=person_id, why=why, at=now, keep=keep_session
        )
        uow.commit()
    log.info("password set for person %d", person_id)


def change_password(
    deps: Deps,
    *,
    viewer: Viewer,
    current: str,
    new: str,
    address: str,
    slots: HashingSlots = HASHING,
) -> bool:
    """A signed-in person's own change: the current password first (a wrong one counts as
    at sign-in), then the new one, which ends every other session. ``False`` when the current
    password is wrong."""
    check_password(new)
    if hmac.compare_digest(current.encode(), new.encode()):
        raise WeakPassword("Choose a new password, not the one you have now.")
    with deps.uow(readonly=True) as uow:
        email = uow.connection.execute(
            select(t.person.c.email).where(t.person.c.id == viewer.id)
        ).scalar_one()
    if authenticate(deps, email=email, password=current, address=address, slots=slots) is None:
        return False
    set_password(
        deps,
        email=email,
        password=new,
        slots=slots,
        why="password_changed",
        keep_session=viewer.session_id,
    )
    return True


def _held_roles() -> ColumnElement[bool]:
    """A person's roles, none once a coordinator has removed them from the directory: so a
    removed person cannot sign in, and any session they still had ends at its next use."""
    return (t.role.c.person_id == t.person.c.id) & t.person.c.active


def _person(connection: Connection, email: str) -> tuple[int | None, frozenset[str]]:
    rows = connection.execute(
        select(t.person.c.id, t.role.c.role)
        .outerjoin(t.role, _held_roles())
        .where(func.lower(t.person.c.email) == email.strip().lower())
    ).all()
    if not rows:
        return None, frozenset()
    return rows[0][0], frozenset(role for _, role in rows if role is not None)


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
    wait = sign_ins.wait_for(deps, email=email, address=address)
    if wait is not None:
        log.info("sign-in held back: wrong passwords from this address")
        raise TooSoon(wait)
    person_id, password_hash = _credential(deps, email)
    with slots.slot():
        matches = _verify(password_hash or _dummy_hash(), password[:MAX_LENGTH])
    if person_id is None or password_hash is None or not matches or len(password) > MAX_LENGTH:
        holder = person_id if password_hash is not None else None
        sign_ins.record_failure(deps, email=email, address=address, holder=holder)
        log.info("sign-in refused")
        return None
    sign_ins.record_success(deps, email=email, address=address)
    return SignedIn(person_id)


def _credential(deps: Deps, email: str) -> tuple[int | None, str | None]:
    """The person and their hash, when the address is someone who may sign in."""
    with deps.uow(readonly=True) as uow:
        person_id, roles = _person(uow.connection, email)
        if person_id is None or not roles & SIGN_IN_ROLES:
            return person_id, None
        found = uow.connection.execute(
            select(c.c.password_hash).where(c.c.person_id == person_id)
        ).scalar_one_or_none()
    return person_id, found


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def viewer(deps: Deps, *, session_id: str) -> Viewer | None:
    """The signed-in person this session id belongs to, while the session lasts and they hold
    a sign-in role; ``None`` sends them to sign in. Finding the role gone ends every session
    of theirs on the server, so giving the role back later revives none of them."""
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        live = web_sessions.find(uow.connection, session_id=session_id, now=now)
        if live is None:
            return None
        rows = uow.connection.execute(
            select(t.person.c.name, t.role.c.role)
            .outerjoin(t.role, _held_roles())
            .where(t.person.c.id == live.person_id)
        ).all()
    roles = frozenset(r.role for r in rows if r.role is not None)
    if not roles & SIGN_IN_ROLES:
        web_sessions.end_sessions(deps, person_id=live.person_id, why="role_removed")
        log.info("sessions of person %d ended: no sign-in role", live.person_id)
        return None
    web_sessions.seen(deps, live)
    return Viewer(live.person_id, rows[0].name, roles, live.id)
