"""Database records (SQLModel tables). Repositories read and write these; they never commit.

Cases are pseudonymous references only: there is deliberately no column for a child's name,
date of birth or address anywhere in this schema.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def _utc(**kwargs: object) -> object:
    """A timezone-aware timestamp column (SQLite stores the text, PostgreSQL timestamptz)."""
    return Field(sa_column=Column(DateTime(timezone=True), **kwargs))  # type: ignore[arg-type]


class DefinitionSnapshot(SQLModel, table=True):
    """The exact definition an audit started with, so later YAML edits never change it."""

    __tablename__ = "definition_snapshot"
    content_hash: str = Field(primary_key=True, max_length=64)
    audit_type: str = Field(max_length=63, index=True)
    canonical_json: str = Field(sa_column=Column(Text, nullable=False))
    first_used_at: datetime = _utc(nullable=False)  # type: ignore[assignment]


class Agency(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=60)


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254, unique=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")


class PersonRole(SQLModel, table=True):
    __tablename__ = "person_role"
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    role: str = Field(max_length=40, primary_key=True)


class AuditCycle(SQLModel, table=True):
    __tablename__ = "audit_cycle"
    __table_args__ = (Index("ix_audit_cycle_type_state", "audit_type", "state"),)
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=20, unique=True)
    audit_type: str = Field(max_length=63)
    theme: str = Field(max_length=200)
    definition_hash: str = Field(foreign_key="definition_snapshot.content_hash", max_length=64)
    state: str = Field(max_length=63)
    # Bumped by every write to the audit; a write that saw an older version is refused.
    version: int = Field(default=1)
    # The version at which the current state was entered: sign-off decisions and deadlines
    # belong to one visit of a state, so a resubmission starts a fresh round.
    state_round: int = Field(default=1)
    lead_id: int = Field(foreign_key="person.id")
    started_on: date
    started_at: datetime = _utc(nullable=False)  # type: ignore[assignment]
    state_entered_at: datetime = _utc(nullable=False)  # type: ignore[assignment]
    closed_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]


class AuditEvent(SQLModel, table=True):
    """Append-only history (the database refuses updates and deletes, see the migration)."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("audit_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id")
    version: int
    at: datetime = _utc(nullable=False)  # type: ignore[assignment]
    actor_id: int = Field(foreign_key="person.id")
    trigger: str = Field(max_length=63)
    from_state: str = Field(max_length=63)
    to_state: str = Field(max_length=63)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    definition_hash: str = Field(max_length=64)


class Participation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("audit_id", "agency_id"),)
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    agency_id: int = Field(foreign_key="agency.id")
    required: bool = True
    return_status: str = Field(default="requested", max_length=20)
    submitted_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]


class CaseRecord(SQLModel, table=True):
    """A sampled case, known only by a pseudonymous reference."""

    __tablename__ = "case_record"
    __table_args__ = (UniqueConstraint("audit_id", "reference"),)
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    reference: str = Field(max_length=40)
    first_intervention_on: date | None = None
    last_intervention_on: date | None = None


class ConflictDeclaration(SQLModel, table=True):
    """An auditor's declared involvement in the practice or management of a case."""

    __tablename__ = "conflict_declaration"
    __table_args__ = (UniqueConstraint("person_id", "case_reference"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    case_reference: str = Field(max_length=40, index=True)
    involvement: str = Field(max_length=20)
    declared_at: datetime = _utc(nullable=False)  # type: ignore[assignment]


class AuditorAssignment(SQLModel, table=True):
    __tablename__ = "auditor_assignment"
    __table_args__ = (UniqueConstraint("case_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id", index=True)
    person_id: int = Field(foreign_key="person.id")


class Finding(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    kind: str = Field(max_length=20)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    moderated_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]
    moderated_by: int | None = Field(default=None, foreign_key="person.id")


class SignOffDecisionRecord(SQLModel, table=True):
    __tablename__ = "sign_off_decision"
    __table_args__ = (UniqueConstraint("audit_id", "round", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    round: int
    person_id: int = Field(foreign_key="person.id")
    decision: str = Field(max_length=10)
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_at: datetime = _utc(nullable=False)  # type: ignore[assignment]


class Escalation(SQLModel, table=True):
    """An immediate-risk concern escalated to an agency, open until it gives assurance."""

    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    agency_id: int = Field(foreign_key="agency.id")
    raised_by: int = Field(foreign_key="person.id")
    raised_at: datetime = _utc(nullable=False)  # type: ignore[assignment]
    concern: str = Field(sa_column=Column(Text, nullable=False))
    assured_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]
    assured_by: int | None = Field(default=None, foreign_key="person.id")
    assurance: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Deadline(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("audit_id", "name", "round"),
        Index("ix_deadline_open_due", "met_at", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    state: str = Field(max_length=63)
    name: str = Field(max_length=63)
    round: int
    starts_at: datetime = _utc(nullable=False)  # type: ignore[assignment]
    due_at: datetime = _utc(nullable=False)  # type: ignore[assignment]
    met_at: datetime | None = _utc(nullable=True)  # type: ignore[assignment]
