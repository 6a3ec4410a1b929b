"""The one way to write to an audit: lock it, check who may, change, bump, record, commit.

Every command that changes an audit (firing a trigger, or changing its data) runs inside
``write_to_audit``: one transaction that locks the audit row, loads the actor, asks the
policy, runs the change, bumps the version and appends exactly one event through the store's
one event writer, then commits, or rolls all of it back. The clock is read once, so the
change and its event carry the same moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from states.errors import ConcurrencyConflict, InvalidInput
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.uow import UnitOfWork
from states.services.deps import Deps


@dataclass(frozen=True)
class Writing:
    """One write to one audit, inside its locked transaction."""

    uow: UnitOfWork
    store: AuditStore
    row: AuditRow
    who: Actor
    now: datetime

    @property
    def connection(self) -> Connection:
        return self.uow.connection

    def touch(self, trigger: str, reason: str | None) -> int:
        """Record a change to the audit's data (no state change); returns the new version."""
        return self.store.touch(
            self.row, trigger=trigger, actor_id=self.who.id, reason=reason, at=self.now
        )


@contextmanager
def conflicts_as_errors(reference: str) -> Iterator[None]:
    """A clash on a unique key means the record being added is already there. (A clash on
    the event log is another writer's, and the store's event writer says so itself.)"""
    try:
        yield
    except IntegrityError as exc:
        raise InvalidInput(
            f"That is already recorded on audit {reference}; check the references given."
        ) from exc


@contextmanager
def write_to_audit(
    deps: Deps,
    *,
    audit: AuditKey,
    actor: PersonKey,
    may: Callable[[Writing], None] | None = None,
    expected_version: int | None = None,
    open_only: bool = False,
) -> Iterator[Writing]:
    """Open the unit of work on the locked audit and yield it for the change, which records
    its one event (``Writing.touch``, or the store's ``advance`` when a trigger fires);
    commit when the change returns. ``may`` is the policy check (it raises
    ``PermissionDenied``); ``open_only`` refuses audits that have ended."""
    with deps.uow() as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit, for_update=True)
        if expected_version is not None and row.version != expected_version:
            raise ConcurrencyConflict(audit=row.reference, expected_version=expected_version)
        who = store.load_actor(actor)
        if open_only:
            definition = deps.catalogue.by_hash(row.definition_hash, store.read_snapshot)
            if row.state in definition.definition.final_states:
                raise InvalidInput(f"Audit {row.reference} is {row.state}; its records are closed.")
        writing = Writing(uow, store, row, who, deps.clock.now())
        if may is not None:
            may(writing)
        with conflicts_as_errors(row.reference):
            yield writing
            uow.commit()
