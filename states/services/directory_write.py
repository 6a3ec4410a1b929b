"""The one way to change the directory: take the directory lock, check that the actor may keep
the directory, make the change, log it, commit; or roll all of it back.

Like ``write_to_audit`` for an audit: every directory command runs inside
``directory_write``, which yields an ``Edit`` carrying the connection, who is acting, one
clock reading and the reason, and collects the log rows the change writes, so a change and its
record commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from states.errors import InvalidInput
from states.persistence import directory_log
from states.persistence.directory_log import Change
from states.persistence.store import Actor, AuditStore
from states.rules.policy import Permission, require
from states.services.deps import Deps

MAX_REASON = 1000


@dataclass
class Edit:
    """One change to the directory, inside its transaction."""

    deps: Deps
    c: Connection
    who: Actor
    now: datetime
    reason: str
    logged: list[Change] = field(default_factory=list)

    def log(self, change: Change) -> None:
        self.logged.append(change)


def reason_given(reason: str) -> str:
    text = reason.strip()
    if not text or len(text) > MAX_REASON:
        raise InvalidInput(f"Give the reason for the change in 1 to {MAX_REASON:,} characters.")
    return text


def may_keep_directory(who: Actor, doing: str) -> None:
    require(
        who.roles,
        Permission.MANAGE_DIRECTORY,
        refusal=f"Only a coordinator may {doing}, and {who.name} is not; ask the learning hub "
        "coordinator.",
    )


@contextmanager
def directory_write(
    deps: Deps, *, actor: str | int, reason: str, doing: str = "change the directory"
) -> Iterator[Edit]:
    """Yield the change's ``Edit``; when the change returns, write its log rows and commit.
    A clash on a unique key that the change's own checks could not see (another writer's row
    on a store without the lock) is refused as a duplicate, not a failure."""
    why = reason_given(reason)
    with deps.uow() as uow:
        c = uow.connection
        directory_log.lock_directory(c)
        who = AuditStore(c).load_actor(actor)
        may_keep_directory(who, doing)
        edit = Edit(deps, c, who, deps.clock.now(), why)
        try:
            yield edit
            directory_log.append(c, edit.logged, by=who.id, at=edit.now, reason=why)
        except IntegrityError as exc:
            raise InvalidInput(
                "That would duplicate a code, URN or e-mail already in the directory; "
                "check them and try again."
            ) from exc
        uow.commit()


def reading(c: Connection, viewer: str | int) -> Actor:
    """The directory lists people's e-mail addresses: coordinators only."""
    who = AuditStore(c).load_actor(viewer)
    may_keep_directory(who, "see the directory")
    return who
