"""Repository for the audit aggregate: the hot path of every transition.

Statements are SQLAlchemy Core built once from the SQLModel tables; the ORM's identity map
and flush machinery cost about twenty times the SQL itself here, and a transition needs none
of it. Every write to an audit bumps its version with ``WHERE version = :seen`` so a write
based on a stale read is refused rather than lost or doubled.

The four statements every transition runs go further: each is compiled once per dialect and
run on the driver's cursor, in the transaction the unit of work opened. ``Connection.execute``
spends more Python per statement (cache key, execution context, events, result wrapping) than
SQLite spends running it, which held the engine to an eighth of the bare driver's rate.
Values still pass through the type processors SQLAlchemy would apply, and driver errors
through its own error handling, so what is stored, read and raised is unchanged.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Dialect, Table, and_, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from states import tables as t
from states.errors import ConcurrencyConflict, NotFound
from states.prepared import Prepared, prepare, run
from states.roles import AUDIT_SCOPED_ROLES

_AUDIT_COLUMNS = (
    t.audit.c.id,
    t.audit.c.reference,
    t.audit.c.audit_type,
    t.audit.c.theme,
    t.audit.c.definition_hash,
    t.audit.c.tool_hash,
    t.audit.c.state,
    t.audit.c.version,
    t.audit.c.state_round,
    t.audit.c.lead_id,
    t.audit.c.started_on,
    t.audit.c.state_entered_at,
)
_BY_ID = select(*_AUDIT_COLUMNS).where(t.audit.c.id == bindparam("key"))
_BY_REFERENCE = select(*_AUDIT_COLUMNS).where(t.audit.c.reference == bindparam("key"))
# Writers lock the audit row as they read it (PostgreSQL; SQLite's BEGIN IMMEDIATE already
# serialises writers), so unversioned writes queue behind each other instead of failing.
_ACTOR = select(
    t.person.c.id, t.person.c.name, t.person.c.agency_id, t.person.c.active, t.role.c.role
).select_from(t.person.outerjoin(t.role, t.role.c.person_id == t.person.c.id))
_ADVANCE = (
    update(t.audit)
    .where(and_(t.audit.c.id == bindparam("audit_id"), t.audit.c.version == bindparam("seen")))
    .values(
        state=bindparam("to_state"),
        version=bindparam("new_version"),
        state_round=bindparam("new_round"),
        state_entered_at=bindparam("entered_at"),
        closed_at=bindparam("closed_at"),
    )
)
_INSERT_EVENT = insert(t.event)
_ACTOR_BY_ID = _ACTOR.where(t.person.c.id == bindparam("key"))
_ACTOR_BY_EMAIL = _ACTOR.where(t.person.c.email == bindparam("key"))
# Inline: the event's own id is never needed, so PostgreSQL need not send it back (RETURNING).
_EVENT_KEYS = (
    "audit_id",
    "version",
    "at",
    "actor_id",
    "trigger",
    "from_state",
    "to_state",
    "reason",
    "definition_hash",
)
_APPEND_EVENT = insert(t.event).inline()


@dataclass(frozen=True)
class _HotPath:
    by_id: Prepared
    by_reference: Prepared
    by_id_for_update: Prepared
    by_reference_for_update: Prepared
    actor_by_id: Prepared
    actor_by_email: Prepared
    advance: Prepared
    append_event: Prepared


# One compilation per dialect (per engine); weak so engines made and dropped by tests go too.
_HOT_PATHS: weakref.WeakKeyDictionary[Dialect, _HotPath] = weakref.WeakKeyDictionary()


def _hot_path(dialect: Dialect) -> _HotPath:
    found = _HOT_PATHS.get(dialect)
    if found is None:
        # Two threads may both compile the first time; either result is the same.
        found = _HOT_PATHS[dialect] = _HotPath(
            by_id=prepare(_BY_ID, dialect),
            by_reference=prepare(_BY_REFERENCE, dialect),
            by_id_for_update=prepare(_BY_ID.with_for_update(), dialect),
            by_reference_for_update=prepare(_BY_REFERENCE.with_for_update(), dialect),
            actor_by_id=prepare(_ACTOR_BY_ID, dialect),
            actor_by_email=prepare(_ACTOR_BY_EMAIL, dialect),
            advance=prepare(_ADVANCE, dialect),
            append_event=prepare(_APPEND_EVENT, dialect, _EVENT_KEYS),
        )
    return found


@dataclass(frozen=True)
class AuditRow:
    id: int
    reference: str
    audit_type: str
    theme: str
    definition_hash: str
    tool_hash: str | None
    state: str
    version: int
    state_round: int
    lead_id: int
    started_on: date
    state_entered_at: datetime


@dataclass(frozen=True)
class Actor:
    """A person as the engine sees them now. Someone removed from the directory is inactive
    and holds no role, so every rule that asks for a role refuses them."""

    id: int
    name: str
    agency_id: int | None
    roles: frozenset[str]
    active: bool = True


class AuditStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._sql = _hot_path(connection.dialect)

    def load_audit(self, key: int | str, *, for_update: bool = False) -> AuditRow:
        by_id = isinstance(key, int) or (isinstance(key, str) and key.isdigit())
        sql = self._sql
        if for_update:
            statement = sql.by_id_for_update if by_id else sql.by_reference_for_update
        else:
            statement = sql.by_id if by_id else sql.by_reference
        rows, _ = run(self.connection, statement, {"key": int(key) if by_id else key})
        if not rows:
            raise NotFound("audit", key)
        return AuditRow(*rows[0])

    def load_actor(self, key: int | str) -> Actor:
        statement = self._sql.actor_by_id if isinstance(key, int) else self._sql.actor_by_email
        rows, _ = run(self.connection, statement, {"key": key})
        if not rows:
            raise NotFound("person", key)
        person_id, name, agency_id, active, _ = rows[0]
        roles = frozenset(role for *_, role in rows if role is not None and active)
        return Actor(person_id, name, agency_id, roles, bool(active))

    def roles_in(self, actor: Actor, audit: AuditRow) -> frozenset[str]:
        """The roles a person holds in one audit.

        Partnership roles count everywhere; the audit's lead chairs it; an agency lead acts
        only in audits their agency takes part in, and an auditor only where assigned a case,
        so being an agency lead or auditor somewhere opens no other audit.
        """
        if not actor.active:
            return frozenset()
        roles = set(actor.roles - AUDIT_SCOPED_ROLES)
        if audit.lead_id == actor.id:
            roles.add("chair")
        if "agency_lead" in actor.roles and self._participates(actor.agency_id, audit.id):
            roles.add("agency_lead")
        if "auditor" in actor.roles and self._assigned(actor.id, audit.id):
            roles.add("auditor")
        return frozenset(roles)

    def _participates(self, agency_id: int | None, audit_id: int) -> bool:
        if agency_id is None:
            return False
        statement = select(t.participation.c.id).where(
            t.participation.c.audit_id == audit_id, t.participation.c.agency_id == agency_id
        )
        return self.connection.execute(statement).first() is not None

    def _assigned(self, person_id: int, audit_id: int) -> bool:
        statement = (
            select(t.assignment.c.id)
            .join(t.case, t.case.c.id == t.assignment.c.case_id)
            .where(t.case.c.audit_id == audit_id, t.assignment.c.person_id == person_id)
        )
        return self.connection.execute(statement).first() is not None

    def advance(
        self,
        audit: AuditRow,
        *,
        to_state: str,
        trigger: str,
        actor_id: int,
        reason: str | None,
        at: datetime,
        entered: bool,
        closed: bool = False,
    ) -> int:
        """Move (or touch) the audit and append its event; returns the new version."""
        new_version = audit.version + 1
        _, moved = run(
            self.connection,
            self._sql.advance,
            {
                "audit_id": audit.id,
                "seen": audit.version,
                "to_state": to_state,
                "new_version": new_version,
                "new_round": new_version if entered else audit.state_round,
                "entered_at": at if entered else audit.state_entered_at,
                "closed_at": at if closed else None,
            },
        )
        if moved != 1:
            raise ConcurrencyConflict(audit=audit.reference, expected_version=audit.version)
        run(
            self.connection,
            self._sql.append_event,
            {
                "audit_id": audit.id,
                "version": new_version,
                "at": at,
                "actor_id": actor_id,
                "trigger": trigger,
                "from_state": audit.state,
                "to_state": to_state,
                "reason": reason,
                "definition_hash": audit.definition_hash,
            },
        )
        return new_version

    def read_snapshot(self, content_hash: str) -> str | None:
        statement = select(t.snapshot.c.canonical_json).where(
            t.snapshot.c.content_hash == content_hash
        )
        return self.connection.execute(statement).scalar_one_or_none()

    def read_tool_snapshot(self, content_hash: str) -> str | None:
        statement = select(t.tool_snapshot.c.canonical_json).where(
            t.tool_snapshot.c.content_hash == content_hash
        )
        return self.connection.execute(statement).scalar_one_or_none()

    def save_tool_snapshot(self, *, content_hash: str, tool: str, text: str, at: datetime) -> None:
        if self.read_tool_snapshot(content_hash) is None:
            self._insert_once(
                t.tool_snapshot,
                content_hash=content_hash,
                tool=tool,
                canonical_json=text,
                first_used_at=at,
            )

    def save_snapshot(self, *, content_hash: str, audit_type: str, text: str, at: datetime) -> None:
        if self.read_snapshot(content_hash) is None:
            self._insert_once(
                t.snapshot,
                content_hash=content_hash,
                audit_type=audit_type,
                canonical_json=text,
                first_used_at=at,
            )

    def _insert_once(self, table: Table, **values: object) -> None:
        """Snapshots are keyed by content: when two first starts of a type race, both write
        the same row, so the second insert is skipped instead of failing its audit's start."""
        dialect = self.connection.dialect.name
        build = postgresql_insert if dialect == "postgresql" else sqlite_insert
        self.connection.execute(build(table).values(**values).on_conflict_do_nothing())

    def events(self, audit_id: int) -> Sequence[Any]:
        statement = (
            select(t.event, t.person.c.name.label("actor"))
            .join(t.person, t.person.c.id == t.event.c.actor_id)
            .where(t.event.c.audit_id == audit_id)
            .order_by(t.event.c.version)
        )
        return self.connection.execute(statement).all()
