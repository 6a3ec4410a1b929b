"""Passwords for the people who sign in: coordinators and learning hub members.

Agencies never sign in (they act by e-mailed link), so a password can be set only for a
person holding the policy's ``Permission.SIGN_IN``, and losing that permission ends their
sessions (``states.services.web_sessions.viewer``). What a password may be and how it is
hashed are ``states.rules.passwords``; setting one ends the person's sessions in the same
transaction, so an old session cannot outlive the password it was opened with.
"""

from __future__ import annotations

import logging

from sqlalchemy import insert, select, update

from states.errors import NoSignIn, NotFound
from states.persistence import tables as t
from states.rules import passwords
from states.rules.passwords import HASHING, HashingSlots
from states.rules.policy import Permission, allows
from states.services import sign_ins, web_sessions
from states.services.deps import Deps
from states.services.web_sessions import EndReason, Viewer

log = logging.getLogger("states.services.credentials")
c = t.credential


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
    hashed = passwords.hash_password(password, slots=slots)
    now = deps.clock.now()
    values = {"password_hash": hashed, "changed_at": now}
    with deps.uow() as uow:
        person_id, roles = sign_ins.person(uow.connection, email)
        if person_id is None:
            raise NotFound("person", email)
        if not allows(roles, Permission.SIGN_IN):
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
    passwords.check_change(current, new)
    with deps.uow(readonly=True) as uow:
        email = uow.connection.execute(
            select(t.person.c.email).where(t.person.c.id == viewer.id)
        ).scalar_one()
    signed = sign_ins.authenticate(
        deps, email=email, password=current, address=address, slots=slots
    )
    if signed is None:
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
