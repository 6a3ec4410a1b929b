"""Repository for the audit aggregate: the hot path of every transition.

Statements are SQLAlchemy Core built once from the SQLModel tables; the ORM's identity map
and flush machinery cost about twenty times the SQL itself here, and a transition needs none
of it. Every write to an audit bumps its version with ``WHERE version = :seen`` so a write
based on a stale read is refused rather than lost or doubled.

The statements every transition runs are module constants with bound parameters, so the
engine's compiled cache compiles each once per dialect and every later run only looks it up
(SQLAlchemy's "SQL compilation caching"); values pass through SQLAlchemy's own type
processors and driver errors through its own error handling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from states.definitions.roles import ACTION_OWNER_ROLES, AUDIT_SCOPED_ROLES, RAISING_AGENCY_LEAD
from states.errors import ConcurrencyConflict, NotFound
from states.persistence import tables as t
from states.persistence.ids import AgencyId, AuditId, AuditKey, PersonId, PersonKey

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
# A touch bumps the version only: state, round and closed_at stay as the row has them.
_TOUCH = (
    update(t.audit)
    .where(and_(t.audit.c.id == bindparam("audit_id"), t.audit.c.version == bindparam("seen")))
    .values(version=bindparam("new_version"))
)
_ACTOR_BY_ID = _ACTOR.where(t.person.c.id == bindparam("key"))
_ACTOR_BY_EMAIL = _ACTOR.where(t.person.c.email == bindparam("key"))
# Inline: the event's own id is never needed, so PostgreSQL need not send it back (RETURNING).
_APPEND_EVENT = insert(t.event).inline()
# Writers lock the audit row as they read it (PostgreSQL; SQLite's BEGIN IMMEDIATE already
# serialises writers), so unversioned writes queue behind each other instead of failing.
_BY_ID_FOR_UPDATE = _BY_ID.with_for_update()
_BY_REFERENCE_FOR_UPDATE = _BY_REFERENCE.with_for_update()


@dataclass(frozen=True)
class AuditRow:
    id: AuditId
    reference: str
    audit_type: str
    theme: str
    definition_hash: str
    tool_hash: str | None
    state: str
    version: int
    state_round: int
    lead_id: PersonId
    started_on: date
    state_entered_at: datetime


@dataclass(frozen=True)
class Actor:
    """A person as the engine sees them now. Someone removed from the directory is inactive
    and holds no role, so every rule that asks for a role refuses them."""

    id: PersonId
    name: str
    agency_id: AgencyId | None
    roles: frozenset[str]
    active: bool = True


class AuditStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def load_audit(self, key: AuditKey, *, for_update: bool = False) -> AuditRow:
        by_id = isinstance(key, int) or (isinstance(key, str) and key.isdigit())
        if for_update:
            statement = _BY_ID_FOR_UPDATE if by_id else _BY_REFERENCE_FOR_UPDATE
        else:
            statement = _BY_ID if by_id else _BY_REFERENCE
        row: Sequence[Any] | None = self.connection.execute(
            statement, {"key": int(key) if by_id else key}
        ).first()
        if row is None:
            raise NotFound("audit", key)
        return AuditRow(*row)

    def load_actor(self, key: PersonKey) -> Actor:
        statement = _ACTOR_BY_ID if isinstance(key, int) else _ACTOR_BY_EMAIL
        rows = self.connection.execute(statement, {"key": key}).all()
        if not rows:
            raise NotFound("person", key)
        person_id, name, agency_id, active, _ = rows[0]
        roles = frozenset(role for *_, role in rows if role is not None and active)
        return Actor(person_id, name, agency_id, roles, bool(active))

    def roles_in(
        self, actor: Actor, audit: AuditRow, *, raised_by_agency: bool = False
    ) -> frozenset[str]:
        """The roles a person holds in one audit.

        Partnership roles count everywhere; the audit's lead chairs it; an agency lead acts
        only in audits their agency takes part in, and an auditor only where assigned a case,
        so being an agency lead or auditor somewhere opens no other audit. On an audit of a
        type an agency raises (the caller says, from its definition), the agency lead and
        strategic lead of an agency taking part are also its raising agency's leads.
        """
        if not actor.active:
            return frozenset()
        roles = set(actor.roles - AUDIT_SCOPED_ROLES)
        if audit.lead_id == actor.id:
            roles.add("chair")
        leads = actor.roles & ACTION_OWNER_ROLES if raised_by_agency else set()
        if ("agency_lead" in actor.roles or leads) and self._participates(
            actor.agency_id, audit.id
        ):
            roles.update({"agency_lead"} & actor.roles)
            if leads:
                roles.add(RAISING_AGENCY_LEAD)
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
        moved = self.connection.execute(
            _ADVANCE,
            {
                "audit_id": audit.id,
                "seen": audit.version,
                "to_state": to_state,
                "new_version": new_version,
                "new_round": new_version if entered else audit.state_round,
                "entered_at": at if entered else audit.state_entered_at,
                "closed_at": at if closed else None,
            },
        ).rowcount
        return self._bumped(
            audit,
            moved,
            to_state=to_state,
            trigger=trigger,
            actor_id=actor_id,
            reason=reason,
            at=at,
        )

    def touch(
        self, audit: AuditRow, *, trigger: str, actor_id: int, reason: str | None, at: datetime
    ) -> int:
        """Record a change to the audit's data: a version bump and its event, the state, its
        round and the moment the audit ended (if it has) left as they are."""
        new_version = audit.version + 1
        bumped = self.connection.execute(
            _TOUCH, {"audit_id": audit.id, "seen": audit.version, "new_version": new_version}
        ).rowcount
        return self._bumped(
            audit,
            bumped,
            to_state=audit.state,
            trigger=trigger,
            actor_id=actor_id,
            reason=reason,
            at=at,
        )

    def _bumped(
        self,
        audit: AuditRow,
        rowcount: int,
        *,
        to_state: str,
        trigger: str,
        actor_id: int,
        reason: str | None,
        at: datetime,
    ) -> int:
        """After the versioned UPDATE: refuse if another write got there first (no row
        matched the version seen), else record the one event of the new version."""
        if rowcount != 1:
            raise ConcurrencyConflict(audit=audit.reference, expected_version=audit.version)
        new_version = audit.version + 1
        self.record_event(
            audit_id=audit.id,
            reference=audit.reference,
            version=new_version,
            at=at,
            actor_id=actor_id,
            trigger=trigger,
            from_state=audit.state,
            to_state=to_state,
            reason=reason,
            definition_hash=audit.definition_hash,
        )
        return new_version

    def record_event(
        self,
        *,
        audit_id: int,
        reference: str,
        version: int,
        at: datetime,
        actor_id: int,
        trigger: str,
        from_state: str,
        to_state: str,
        reason: str | None,
        definition_hash: str,
    ) -> None:
        """The one writer of the event log. The log is keyed by (audit, version), so a clash
        here can only mean another writer recorded this version first: told by the error's
        class and the statement that raised it, never by the database's wording."""
        try:
            self.connection.execute(
                _APPEND_EVENT,
                {
                    "audit_id": audit_id,
                    "version": version,
                    "at": at,
                    "actor_id": actor_id,
                    "trigger": trigger,
                    "from_state": from_state,
                    "to_state": to_state,
                    "reason": reason,
                    "definition_hash": definition_hash,
                },
            )
        except IntegrityError as exc:
            raise ConcurrencyConflict(audit=reference) from exc

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
