"""Repository for the audit aggregate: the hot path of every transition.

Statements are SQLAlchemy Core built once from the SQLModel tables; the ORM's identity map
and flush machinery cost about twenty times the SQL itself here, and a transition needs none
of it. Every write to an audit bumps its version with ``WHERE version = :seen`` so a write
based on a stale read is refused rather than lost or doubled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, select, update

from states.clock import as_utc
from states.errors import ConcurrencyConflict, NotFound
from states.records import AuditCycle, AuditEvent, DefinitionSnapshot, Person, PersonRole

_audit = AuditCycle.__table__  # type: ignore[attr-defined]
_event = AuditEvent.__table__  # type: ignore[attr-defined]
_person = Person.__table__  # type: ignore[attr-defined]
_role = PersonRole.__table__  # type: ignore[attr-defined]
_snapshot = DefinitionSnapshot.__table__  # type: ignore[attr-defined]

_AUDIT_COLUMNS = (
    _audit.c.id,
    _audit.c.reference,
    _audit.c.audit_type,
    _audit.c.theme,
    _audit.c.definition_hash,
    _audit.c.state,
    _audit.c.version,
    _audit.c.state_round,
    _audit.c.lead_id,
    _audit.c.started_on,
    _audit.c.state_entered_at,
)
_BY_ID = select(*_AUDIT_COLUMNS).where(_audit.c.id == bindparam("key"))
_BY_REFERENCE = select(*_AUDIT_COLUMNS).where(_audit.c.reference == bindparam("key"))
_ACTOR = (
    select(_person.c.id, _person.c.name, _person.c.agency_id, _role.c.role)
    .select_from(_person.outerjoin(_role, _role.c.person_id == _person.c.id))
)
_ADVANCE = (
    update(_audit)
    .where(and_(_audit.c.id == bindparam("audit_id"), _audit.c.version == bindparam("seen")))
    .values(
        state=bindparam("to_state"),
        version=bindparam("new_version"),
        state_round=bindparam("new_round"),
        state_entered_at=bindparam("entered_at"),
        closed_at=bindparam("closed_at"),
    )
)
_INSERT_EVENT = insert(_event)


@dataclass(frozen=True)
class AuditRow:
    id: int
    reference: str
    audit_type: str
    theme: str
    definition_hash: str
    state: str
    version: int
    state_round: int
    lead_id: int
    started_on: date
    state_entered_at: datetime


@dataclass(frozen=True)
class Actor:
    id: int
    name: str
    agency_id: int | None
    roles: frozenset[str]

    def roles_in(self, audit: AuditRow) -> frozenset[str]:
        """Partnership roles plus those this audit gives: its lead chairs it."""
        return self.roles | {"chair"} if audit.lead_id == self.id else self.roles


class AuditStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def load_audit(self, key: int | str) -> AuditRow:
        by_id = isinstance(key, int) or (isinstance(key, str) and key.isdigit())
        statement = _BY_ID if by_id else _BY_REFERENCE
        row = self.connection.execute(statement, {"key": int(key) if by_id else key}).first()
        if row is None:
            raise NotFound("audit", key)
        return AuditRow(*row)

    def load_actor(self, key: int | str) -> Actor:
        column = _person.c.id if isinstance(key, int) else _person.c.email
        rows = self.connection.execute(_ACTOR.where(column == key)).all()
        if not rows:
            raise NotFound("person", key)
        first = rows[0]
        roles = frozenset(r.role for r in rows if r.role is not None)
        return Actor(first.id, first.name, first.agency_id, roles)

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
        result = self.connection.execute(
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
        )
        if result.rowcount != 1:
            raise ConcurrencyConflict(audit=audit.reference, expected_version=audit.version)
        self.connection.execute(
            _INSERT_EVENT,
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
        statement = select(_snapshot.c.canonical_json).where(
            _snapshot.c.content_hash == content_hash
        )
        return self.connection.execute(statement).scalar_one_or_none()

    def save_snapshot(self, *, content_hash: str, audit_type: str, text: str, at: datetime) -> None:
        if self.read_snapshot(content_hash) is None:
            self.connection.execute(
                insert(_snapshot).values(
                    content_hash=content_hash, audit_type=audit_type, canonical_json=text,
                    first_used_at=at,
                )
            )

    def events(self, audit_id: int) -> Sequence[Any]:
        statement = (
            select(_event, _person.c.name.label("actor"))
            .join(_person, _person.c.id == _event.c.actor_id)
            .where(_event.c.audit_id == audit_id)
            .order_by(_event.c.version)
        )
        return self.connection.execute(statement).all()


def utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)
