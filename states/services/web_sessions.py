"""Signed-in sessions of the coordinator pages, kept on the server so they can be ended.

A session is a random id of 256 bits in the browser's cookie and its SHA-256 in
``web_session``; every request finds the row by the hash (see ``find``). A session ends at
its expiry or when its row is ended: signing out ends one, and ``end_sessions`` ends all of a
person's — what a password change (all but the current one), a password set by an operator,
losing the sign-in role and deactivation call. Times come from the engine's clock only.
``viewer`` is who a request's session belongs to, while they may still sign in.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, delete, insert, select, update

from states.clock import as_utc
from states.persistence import tables as t
from states.rules.policy import Permission, allows
from states.services.deps import Deps
from states.services.sign_ins import held_roles

EndReason = Literal[
    "signed_out",
    "signed_in_again",
    "password_changed",
    "password_set",
    "role_removed",
    "deactivated",
]
# How often a session's ``last_seen_at`` is written: a page view every few seconds must not
# be a write every few seconds, and minutes are precise enough for the record.
SEEN_EVERY = timedelta(minutes=5)
# Ended and expired rows are kept this long, as the record of who was signed in when.
KEPT_FOR = timedelta(days=90)
log = logging.getLogger("states.services.web_sessions")
s = t.web_session


@dataclass(frozen=True)
class LiveSession:
    id: int
    person_id: int
    last_seen_at: datetime


@dataclass(frozen=True)
class Viewer:
    """A signed-in person, as each page request finds them, and the session they are in."""

    id: int
    name: str
    roles: frozenset[str]
    session_id: int


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(deps: Deps, *, person_id: int, lifetime: timedelta) -> str:
    """A new session for ``person_id``; returns the id for the cookie (never stored)."""
    session_id = secrets.token_urlsafe(32)
    now = deps.clock.now()
    with deps.uow() as uow:
        uow.connection.execute(delete(s).where(s.c.expires_at < now - KEPT_FOR))
        uow.connection.execute(
            insert(s).values(
                token_hash=digest(session_id),
                person_id=person_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + lifetime,
            )
        )
        uow.commit()
    return session_id


def find(connection: Connection, *, session_id: str, now: datetime) -> LiveSession | None:
    """The session this id opens, if it has neither ended nor expired."""
    row = connection.execute(
        select(s.c.id, s.c.person_id, s.c.expires_at, s.c.last_seen_at).where(
            s.c.token_hash == digest(session_id), s.c.ended_at.is_(None)
        )
    ).first()
    if row is None or as_utc(row.expires_at) <= now:
        return None
    return LiveSession(row.id, row.person_id, as_utc(row.last_seen_at))


def seen(deps: Deps, session: LiveSession) -> None:
    """Note that the session was used now, at most once per ``SEEN_EVERY``. The write is
    skipped while the session's own reading is fresh: a page view is then no write at all
    (the update's condition still keeps two requests at once from writing twice)."""
    now = deps.clock.now()
    if session.last_seen_at >= now - SEEN_EVERY:
        return
    with deps.uow() as uow:
        uow.connection.execute(
            update(s)
            .where(s.c.id == session.id, s.c.last_seen_at < now - SEEN_EVERY)
            .values(last_seen_at=now)
        )
        uow.commit()


def end(deps: Deps, *, session_id: str, why: EndReason) -> int | None:
    """End the session this id opens, if it is still going; returns its person."""
    now = deps.clock.now()
    with deps.uow() as uow:
        found = find(uow.connection, session_id=session_id, now=now)
        if found is None:
            return None
        uow.connection.execute(
            update(s)
            .where(s.c.id == found.id, s.c.ended_at.is_(None))
            .values(ended_at=now, ended_why=why)
        )
        uow.commit()
    return found.person_id


def end_sessions(deps: Deps, *, person_id: int, why: EndReason, keep: int | None = None) -> int:
    """End every session of ``person_id`` (but ``keep``, a session id of the table, if
    given); returns how many were ended. For deactivation and role removal: call it, or
    ``end_sessions_in`` inside the transaction making the change."""
    with deps.uow() as uow:
        ended = end_sessions_in(
            uow.connection, person_id=person_id, why=why, at=deps.clock.now(), keep=keep
        )
        uow.commit()
    return ended


def end_sessions_in(
    connection: Connection,
    *,
    person_id: int,
    why: EndReason,
    at: datetime,
    keep: int | None = None,
) -> int:
    """``end_sessions`` within a caller's transaction, so the change that ends them and the
    ending commit together."""
    statement = update(s).where(s.c.person_id == person_id, s.c.ended_at.is_(None))
    if keep is not None:
        statement = statement.where(s.c.id != keep)
    return connection.execute(statement.values(ended_at=at, ended_why=why)).rowcount


def viewer(deps: Deps, *, session_id: str) -> Viewer | None:
    """The signed-in person this session id belongs to, while the session lasts and they hold
    a sign-in role; ``None`` sends them to sign in. Finding the role gone ends every session
    of theirs on the server, so giving the role back later revives none of them."""
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        live = find(uow.connection, session_id=session_id, now=now)
        if live is None:
            return None
        rows = uow.connection.execute(
            select(t.person.c.name, t.role.c.role)
            .outerjoin(t.role, held_roles())
            .where(t.person.c.id == live.person_id)
        ).all()
    roles = frozenset(r.role for r in rows if r.role is not None)
    if not allows(roles, Permission.SIGN_IN):
        end_sessions(deps, person_id=live.person_id, why="role_removed")
        log.info("sessions of person %d ended: no sign-in role", live.person_id)
        return None
    seen(deps, live)
    return Viewer(live.person_id, rows[0].name, roles, live.id)
