"""Database records (SQLModel tables). Repositories read and write these; they never commit.

Cases are pseudonymous references only: there is deliberately no column for a child's name,
date of birth or address anywhere in this schema.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlmodel import AutoString, Field, SQLModel

from states.persistence.vocabulary import (
    ConcernReadVia,
    LinkPurpose,
    LinkRefusal,
    ReportStatus,
    ReturnRequestStatus,
    ReturnStatus,
)
from states.rules.gates import Decision

# Every timestamp is timezone-aware (SQLite stores the text, PostgreSQL a timestamptz). Given
# as ``sa_type``, so SQLModel still derives NULL or NOT NULL from the annotation: a column's
# type hint and its schema cannot disagree. One instance serves every column, as SQLAlchemy's
# own default types do.
UTC_TIMESTAMP = DateTime(timezone=True)


class DefinitionSnapshot(SQLModel, table=True):
    """The exact definition an audit started with, so later YAML edits never change it."""

    __tablename__ = "definition_snapshot"
    content_hash: str = Field(primary_key=True, max_length=64)
    audit_type: str = Field(max_length=63, index=True)
    canonical_json: str = Field(sa_column=Column(Text, nullable=False))
    first_used_at: datetime = Field(sa_type=UTC_TIMESTAMP)


class ToolSnapshot(SQLModel, table=True):
    """The exact audit tool an audit started with: returns keep meaning what they meant."""

    __tablename__ = "tool_snapshot"
    content_hash: str = Field(primary_key=True, max_length=64)
    tool: str = Field(max_length=63, index=True)
    canonical_json: str = Field(sa_column=Column(Text, nullable=False))
    first_used_at: datetime = Field(sa_type=UTC_TIMESTAMP)


class Agency(SQLModel, table=True):
    """An agency, or a setting (a school, college or early years setting, with its URN).

    ``kind`` is an ``AgencyKind`` value (``states.rules.directory``). A deactivated agency
    keeps its row, because past audits, returns and actions name it; it is invited to nothing
    new.
    """

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=60)
    # Settings only: the DfE (or Ofsted) URN a re-import finds them by, and their phase.
    urn: str | None = Field(default=None, max_length=12, unique=True, index=True)
    phase: str | None = Field(default=None, max_length=30)
    active: bool = Field(default=True, sa_column_kwargs={"server_default": true()})


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254, unique=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    # False once a coordinator has removed the person (``directory_change`` says who, when
    # and why): they hold no role, get no links and cannot sign in. The row stays, because
    # past events and decisions name them.
    active: bool = Field(default=True, sa_column_kwargs={"server_default": true()})


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
    tool_hash: str | None = Field(
        default=None, foreign_key="tool_snapshot.content_hash", max_length=64
    )
    state: str = Field(max_length=63)
    # Bumped by every write to the audit; a write that saw an older version is refused.
    version: int = Field(default=1)
    # The version at which the current state was entered: sign-off decisions and deadlines
    # belong to one visit of a state, so a resubmission starts a fresh round.
    state_round: int = Field(default=1)
    lead_id: int = Field(foreign_key="person.id")
    started_on: date
    started_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    state_entered_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    closed_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    # The caller's key for the request that started it (a Prefect flow run id): a retried
    # start finds the audit it already made instead of making a second one.
    request_key: str | None = Field(default=None, max_length=64, unique=True, index=True)
    # The bodies its report goes to for sign-off instead of its type's (a JSON list of kinds
    # and quorums), copied from its programme entry's ``report_to`` when it is linked.
    report_to: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class AuditEvent(SQLModel, table=True):
    """Append-only history (the database refuses updates and deletes, see the migration)."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("audit_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id")
    version: int
    at: datetime = Field(sa_type=UTC_TIMESTAMP)
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
    return_status: ReturnRequestStatus = Field(
        default=ReturnRequestStatus.REQUESTED, sa_type=AutoString(length=20)
    )
    submitted_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    # Section 175: chosen for the deep dive and individual feedback.
    deep_dive: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class CaseRecord(SQLModel, table=True):
    """A sampled case, known only by a pseudonymous reference."""

    __tablename__ = "case_record"
    __table_args__ = (UniqueConstraint("audit_id", "reference"),)
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    reference: str = Field(max_length=40)
    first_intervention_on: date | None = None
    last_intervention_on: date | None = None


class CaseAgency(SQLModel, table=True):
    """The agencies involved with a sampled case."""

    __tablename__ = "case_agency"
    case_id: int = Field(foreign_key="case_record.id", primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", primary_key=True)


class Attendee(SQLModel, table=True):
    """A course attendee in a training-impact audit: a case row (pseudonymous reference, and
    the agency whose training lead gathers their returns) counted under a course and cohort."""

    case_id: int = Field(foreign_key="case_record.id", primary_key=True)
    course: str = Field(max_length=120)
    cohort: str = Field(max_length=60)


class SampleSelection(SQLModel, table=True):
    """How a sample was drawn, so it can be explained and drawn again identically."""

    __tablename__ = "sample_selection"
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    method: str = Field(max_length=40)
    seed: int | None = None
    size: int | None = None
    rule: str | None = Field(default=None, max_length=200)
    selected: str = Field(sa_column=Column(Text, nullable=False))
    selected_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    selected_by: int = Field(foreign_key="person.id")


class AuditReturn(SQLModel, table=True):
    """One agency's return (or one agency's audit of one case) in one round of returns."""

    __tablename__ = "audit_return"
    __table_args__ = (UniqueConstraint("audit_id", "agency_id", "case_key", "round"),)
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    agency_id: int = Field(foreign_key="agency.id")
    case_id: int | None = Field(default=None, foreign_key="case_record.id")
    # 0 for an agency return: NULLs never collide, so a unique key cannot use case_id itself.
    case_key: int = 0
    round: int
    status: ReturnStatus = Field(default=ReturnStatus.DRAFT, sa_type=AutoString(length=20))
    started_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    updated_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    submitted_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    submitted_by: int | None = Field(default=None, foreign_key="person.id")


class Answer(SQLModel, table=True):
    __table_args__ = (Index("ix_answer_question", "question_id", "value"),)
    return_id: int = Field(foreign_key="audit_return.id", primary_key=True)
    question_id: str = Field(max_length=63, primary_key=True)
    section_id: str = Field(max_length=63)
    value: str = Field(sa_column=Column(Text, nullable=False))


class Feedback(SQLModel, table=True):
    """Individual feedback to a setting sampled for a Section 175 deep dive."""

    __table_args__ = (UniqueConstraint("audit_id", "agency_id"),)
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    agency_id: int = Field(foreign_key="agency.id")
    summary: str = Field(sa_column=Column(Text, nullable=False))
    recorded_by: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(sa_type=UTC_TIMESTAMP)


class Outbox(SQLModel, table=True):
    """Messages waiting to go out, written in the transaction that caused them.

    Only kinds, ids and safe references (audit reference, theme, dates): the text is rendered
    from templates when sent, so no free text typed into a return can reach a message.
    The relay finds what to send by ``(sent_at, next_attempt_at)``.
    """

    __table_args__ = (Index("ix_outbox_pending", "sent_at", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=63)
    # Empty only for a message about a person's own account (failed sign-ins), not an audit.
    audit_id: int | None = Field(default=None, foreign_key="audit_cycle.id", index=True)
    recipient_id: int = Field(foreign_key="person.id")
    subject_id: int | None = None
    context: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    created_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_error: str | None = Field(default=None, max_length=300)
    failed_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    sent_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    # The action the recipient's link is for (sign_off, return, assurance). The link itself is
    # minted only when the message is sent, so no usable token is ever stored.
    link_purpose: LinkPurpose | None = Field(default=None, sa_type=AutoString(length=20))


class Reminder(SQLModel, table=True):
    """One rung of a deadline's reminder ladder, due at a local morning; the sweep turns it
    into outbox messages for whoever still owes the work, exactly once."""

    __table_args__ = (
        # A rung is one step on one date: an extended deadline gets its steps again, re-dated.
        UniqueConstraint("deadline_id", "step", "due_at"),
        Index("ix_reminder_due", "processed_at", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    deadline_id: int = Field(foreign_key="deadline.id", index=True)
    audit_id: int = Field(foreign_key="audit_cycle.id")
    step: str = Field(max_length=40)
    kind: str = Field(max_length=40)
    roles: str = Field(max_length=200)
    due_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    processed_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    sent_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ConflictDeclaration(SQLModel, table=True):
    """An auditor's declared involvement in the practice or management of a case."""

    __tablename__ = "conflict_declaration"
    __table_args__ = (UniqueConstraint("person_id", "case_reference"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    case_reference: str = Field(max_length=40, index=True)
    involvement: str = Field(max_length=20)
    declared_at: datetime = Field(sa_type=UTC_TIMESTAMP)


class TermsOfReference(SQLModel, table=True):
    """An audit's terms of reference as the learning hub agrees them: one row per audit,
    amended while the audit is being planned (each change is an event in its history)."""

    __tablename__ = "terms_of_reference"
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", unique=True)
    scope: str = Field(sa_column=Column(Text, nullable=False))
    time_window: str = Field(sa_column=Column(Text, nullable=False))
    methodology: str = Field(sa_column=Column(Text, nullable=False))
    tool: str = Field(sa_column=Column(Text, nullable=False))
    sample_rationale: str = Field(sa_column=Column(Text, nullable=False))
    timetable: str = Field(sa_column=Column(Text, nullable=False))
    recorded_by: int = Field(foreign_key="person.id")
    recorded_at: datetime = Field(sa_type=UTC_TIMESTAMP)


class AuditorAssignment(SQLModel, table=True):
    __tablename__ = "auditor_assignment"
    __table_args__ = (UniqueConstraint("case_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id", index=True)
    person_id: int = Field(foreign_key="person.id")


class Finding(SQLModel, table=True):
    """A strength, gap, concern or rating to moderate.

    Findings drawn from a return point at the answer (return and question) instead of copying
    its text, so free text stays in the return it was typed into.
    """

    # The moderation page reads one section's findings (its questions) of one agency's
    # returns (migration 0023 says why both).
    __table_args__ = (
        Index("ix_finding_return_question", "return_id", "question_id"),
        Index("ix_finding_question_audit", "question_id", "audit_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    kind: str = Field(max_length=20)
    summary: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    return_id: int | None = Field(default=None, foreign_key="audit_return.id")
    question_id: str | None = Field(default=None, max_length=63)
    original_rating: str | None = Field(default=None, max_length=63)
    moderated_rating: str | None = Field(default=None, max_length=63)
    rationale: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    moderated_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    moderated_by: int | None = Field(default=None, foreign_key="person.id")


class SignOffDecisionRecord(SQLModel, table=True):
    __tablename__ = "sign_off_decision"
    __table_args__ = (UniqueConstraint("audit_id", "round", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    round: int
    person_id: int = Field(foreign_key="person.id")
    decision: Decision = Field(sa_type=AutoString(length=10))
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    decided_at: datetime = Field(sa_type=UTC_TIMESTAMP)


class SignOffDecisionBody(SQLModel, table=True):
    """A body a decision was made for: each body the audit's sign-off names that the member
    sat on when deciding (one decision counts for every such body). Decisions of audits whose
    sign-off names roles, not bodies, have none."""

    __tablename__ = "sign_off_decision_body"
    decision_id: int = Field(foreign_key="sign_off_decision.id", primary_key=True)
    body_id: int = Field(foreign_key="body.id", primary_key=True)


class Escalation(SQLModel, table=True):
    """An immediate-risk concern escalated to an agency, open until it gives assurance."""

    # A return's immediate-risk question raises its concern once, however often it is saved.
    __table_args__ = (UniqueConstraint("return_id", "question_id"),)
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    agency_id: int = Field(foreign_key="agency.id")
    raised_by: int = Field(foreign_key="person.id")
    raised_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    concern: str = Field(sa_column=Column(Text, nullable=False))
    assurance_due_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    assured_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    assured_by: int | None = Field(default=None, foreign_key="person.id")
    assurance: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Raised from an answer in a return (its immediate-risk question), not by a person by name.
    return_id: int | None = Field(default=None, foreign_key="audit_return.id")
    question_id: str | None = Field(default=None, max_length=63)


class ConcernRead(SQLModel, table=True):
    """Each time a concern's words were shown to someone: who, when, and how they came to
    it. Concerns are need-to-know, so every read is kept, never only the first."""

    __tablename__ = "concern_read"
    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    read_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    via: ConcernReadVia = Field(sa_type=AutoString(length=20))


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
    starts_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    due_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    met_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)


class SchedulerLease(SQLModel, table=True):
    """Who runs the periodic work: one worker holds the lease and renews it; the others wait
    for it to lapse, so a deployment has one clock however many processes it runs."""

    __tablename__ = "scheduler_lease"
    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=200)
    expires_at: datetime = Field(sa_type=UTC_TIMESTAMP)


class ActionToken(SQLModel, table=True):
    """A single-use action link, kept only as the SHA-256 of the token in the e-mail.

    Bound to one person, one audit, one purpose and one visit of one state (an action link:
    to one action instead): the link stops working when the audit moves on (the action is
    finished), when it expires, or once it has been used.
    """

    __tablename__ = "action_token"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    purpose: LinkPurpose = Field(sa_type=AutoString(length=20))
    person_id: int = Field(foreign_key="person.id")
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    escalation_id: int | None = Field(default=None, foreign_key="escalation.id")
    # Action links only: the action they are for (an action outlives its audit's stage).
    action_id: int | None = Field(default=None, foreign_key="action.id")
    # Letter links only: the frozen Section 175 letter they let its setting read.
    report_id: int | None = Field(default=None, foreign_key="report.id")
    state: str = Field(max_length=63)
    round: int
    created_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    expires_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    used_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    # Withdrawn before use: its holder was removed or lost the role, a newer link to the same
    # action was sent, or the action's evidence came in. ``revoked_why`` completes "this link
    # is no longer needed: ..." and is the engine's own words, never a coordinator's reason.
    revoked_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    revoked_why: str | None = Field(default=None, max_length=200)


class TokenEvent(SQLModel, table=True):
    """Refused or replayed uses of a link, for the security record (never the token).

    One row per link and outcome, counting the refusals (``times``) from the first (``at``)
    to the latest (``last_at``): a scanner opening a dead link all day adds to a count
    rather than rows. Tokens that are not ours are not recorded at all (there is nothing to
    attach them to, and a forger could otherwise grow the table).
    """

    __tablename__ = "token_event"
    __table_args__ = (UniqueConstraint("token_id", "outcome"),)
    id: int | None = Field(default=None, primary_key=True)
    token_id: int | None = Field(default=None, foreign_key="action_token.id", index=True)
    at: datetime = Field(sa_type=UTC_TIMESTAMP)
    outcome: LinkRefusal = Field(sa_type=AutoString(length=20))
    times: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    last_at: datetime = Field(sa_type=UTC_TIMESTAMP)


class Body(SQLModel, table=True):
    """A group that decides, or that the programme reports to: the learning hub, the
    statutory partners (one named lead per partner), the performance group, a subgroup.
    ``kind`` is a ``BodyKind`` value."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    active: bool = Field(default=True, sa_column_kwargs={"server_default": true()})


class BodyMember(SQLModel, table=True):
    __tablename__ = "body_member"
    body_id: int = Field(foreign_key="body.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class DirectoryChange(SQLModel, table=True):
    """Append-only: every change to the directory, who made it, when and why.

    ``subject`` (a ``Subject``) says what changed: an agency or setting (``agency_id``), a
    person (``person_id``: their details, a role, their links) or a body (``body_id``, with
    ``person_id`` for the member added or removed). ``change`` is a ``Logged`` value; ``role``
    names the role granted or removed; ``changed_fields`` is a JSON object of each field's
    old and new value. Directory values only: no case or child data ever reaches this table.
    The reason is the coordinator's own words, kept here only: it is never shown on a link's
    page or put in an e-mail.
    """

    __tablename__ = "directory_change"
    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=20)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    body_id: int | None = Field(default=None, foreign_key="body.id", index=True)
    change: str = Field(max_length=20)
    role: str | None = Field(default=None, max_length=40)
    changed_fields: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    changed_by: int = Field(foreign_key="person.id")
    changed_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    links_revoked: int = 0


class ProgrammeEntry(SQLModel, table=True):
    """One row of the audit programme (``definitions/programme/``), as last loaded.

    Loading the file again rewrites the text but never ``audit_id``: the audit started for a
    row stays linked to it however the plan is reworded.
    """

    __tablename__ = "programme_entry"
    __table_args__ = (UniqueConstraint("programme", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    programme: str = Field(max_length=100)
    key: str = Field(max_length=63)
    timeframe: str = Field(max_length=200)
    due_year: int | None = None
    due_month: int | None = None
    due_recurring: str | None = Field(default=None, max_length=20)
    theme: str = Field(sa_column=Column(Text, nullable=False))
    audit_type: str = Field(max_length=63)
    rationale: str = Field(sa_column=Column(Text, nullable=False))
    # A JSON list of strings: the evidence is only ever shown whole, never queried item by item.
    evidence: str = Field(sa_column=Column(Text, nullable=False))
    report_author: str = Field(max_length=200)
    sign_off: str = Field(sa_column=Column(Text, nullable=False))
    impact_monitoring: str = Field(sa_column=Column(Text, nullable=False))
    loaded_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    audit_id: int | None = Field(default=None, foreign_key="audit_cycle.id", index=True)
    # Recurring work the worker starts by itself (the entry's ``calendar``), and the last day
    # any time round may start (its programme's period end); null for work started by hand.
    starts_months_before_due: int | None = None
    recurs_until: date | None = None
    # The bodies its audit reports to for sign-off instead of its type's (JSON, as loaded).
    report_to: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The day (Europe/London) its audit was signed off: the plan's "date of sign off by
    # learning hub & SSP", recorded by the engine, never by loading the file.
    signed_off_on: date | None = None


class ProgrammeOccurrence(SQLModel, table=True):
    """The audit started for one time round of a recurring programme entry (each quarter's
    effectiveness report, each year's training-impact audit): what ``audit_id`` is to an
    entry that happens once. Unique per entry and due month, so it starts once."""

    __tablename__ = "programme_occurrence"
    __table_args__ = (UniqueConstraint("entry_id", "due_year", "due_month"),)
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="programme_entry.id")
    due_year: int
    due_month: int
    audit_id: int = Field(foreign_key="audit_cycle.id", unique=True)
    linked_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    # The day (Europe/London) this time round's audit was signed off.
    signed_off_on: date | None = None


class Action(SQLModel, table=True):
    """One recommendation of an audit's summary report, owned by one agency until the
    learning hub accepts the evidence of its impact.

    The recommendation is partnership text, not child data, but it is still free text: it is
    shown to those who may see the action and never copied into messages or the history.
    ``deadline_id`` is the action's own deadline, which carries its reminder ladder.
    """

    __table_args__ = (UniqueConstraint("audit_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id")
    number: int
    recommendation: str = Field(sa_column=Column(Text, nullable=False))
    owner_agency_id: int = Field(foreign_key="agency.id", index=True)
    due_on: date
    status: str = Field(default="open", max_length=20)
    evidence: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    evidence_by: int | None = Field(default=None, foreign_key="person.id")
    evidence_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    accepted_by: int | None = Field(default=None, foreign_key="person.id")
    accepted_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    # Why evidence was sent back, or why the action was withdrawn: the latest word on it.
    review_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Unique: an action is carried into the next cycle once, however often that is asked.
    carried_from_action_id: int | None = Field(default=None, foreign_key="action.id", unique=True)
    deadline_id: int | None = Field(default=None, foreign_key="deadline.id", unique=True)
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime = Field(sa_type=UTC_TIMESTAMP)


class Report(SQLModel, table=True):
    """A report of an audit: the chair's summary report, or a product made from it.

    ``summary`` rows carry the chair's narrative as a draft until submitted for sign-off;
    submitting freezes the version: its sections, the figures it was built from and the
    SHA-256 of their canonical serialisation (summaries frozen before migration 0022 hold
    their HTML, PDF and the HTML's hash instead), after which the database refuses any
    change to the row (migration 0008). Products (briefing, learning on a page, Section 175
    letters, the summary to all settings) are frozen with their HTML and PDF as they are
    made, from a frozen summary (``source_report_id``) and with its version.
    """

    __table_args__ = (
        UniqueConstraint("audit_id", "kind", "agency_key", "version"),
        # A frozen summary is its content (sections, figures, hash: migration 0022), its HTML
        # made when read; a product keeps the HTML it was made as.
        CheckConstraint(
            "status = 'draft' OR (status = 'frozen' AND content_hash IS NOT NULL "
            "AND frozen_at IS NOT NULL AND (html IS NOT NULL "
            "OR (kind = 'summary' AND figures IS NOT NULL)))",
            name="ck_report_frozen_whole",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    kind: str = Field(max_length=30)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    # 0 unless the report is for one agency: NULLs never collide in a unique key.
    agency_key: int = 0
    # 1 for the first report of its kind; a summary resubmitted after further assurance is 2.
    version: int
    status: ReportStatus = Field(default=ReportStatus.DRAFT, sa_type=AutoString(length=10))
    # JSON: the chair's sections (working_well, emerging_concerns, recommendations, reflection).
    narrative: str = Field(sa_column=Column(Text, nullable=False))
    # JSON: the counts the frozen report showed, so products repeat exactly what was signed off.
    figures: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    source_report_id: int | None = Field(default=None, foreign_key="report.id")
    content_hash: str | None = Field(default=None, max_length=64)
    html: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    updated_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    updated_by: int = Field(foreign_key="person.id")
    frozen_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    frozen_by: int | None = Field(default=None, foreign_key="person.id")
    # The audit's version once frozen: a request for further assurance after it reopens
    # the summary for a new version.
    audit_version: int | None = None


class Dissemination(SQLModel, table=True):
    """A frozen report shared: with whom (a label such as "all schools"), how and when."""

    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    audience: str = Field(max_length=200)
    channel: str = Field(max_length=20)
    disseminated_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    disseminated_by: int = Field(foreign_key="person.id")
    # The flow run that recorded it, if one did: a retried run finds its record by this.
    request_key: str | None = Field(default=None, max_length=64, unique=True, index=True)


class SharedItem(SQLModel, table=True):
    """One item an audit type must share (``dissemination.items``), recorded as shared: by
    which channel and on which day (the day it went out, which may be before the day it is
    recorded). An item may go out more than once; the same day and channel is one record."""

    __tablename__ = "shared_item"
    __table_args__ = (UniqueConstraint("audit_id", "item", "channel", "shared_on"),)
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit_cycle.id", index=True)
    item: str = Field(max_length=63)
    channel: str = Field(max_length=40)
    shared_on: date
    recorded_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    recorded_by: int = Field(foreign_key="person.id")


class Credential(SQLModel, table=True):
    """A coordinator's or learning hub member's password, kept only as an argon2 hash.

    Agencies never have one: they act by e-mailed link. There is no lockout (anyone could
    lock staff out with it): wrong passwords slow down the address they come from instead,
    see ``SignInThrottle``, and the holder is e-mailed about them at most once a day
    (``failures_told_at``).
    """

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True)
    password_hash: str = Field(max_length=255)
    changed_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    failures_told_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)


class WebSession(SQLModel, table=True):
    """A signed-in session of the coordinator pages, looked up on every request.

    The browser's cookie carries a random id (256 bits); only its SHA-256 is kept, so a copy
    of this table opens nothing. A session ends at ``expires_at`` or when ``ended_at`` is set:
    by signing out, a password change or set, losing the sign-in role, or deactivation
    (``ended_why``), and the row stays as the record of it.
    """

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_person_open", "person_id", "ended_at"),)
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    person_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    last_seen_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    expires_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    ended_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
    ended_why: str | None = Field(default=None, max_length=20)


class SignInThrottle(SQLModel, table=True):
    """Wrong passwords from one network address for one account, for growing waits.

    Keyed by the SHA-256 of the typed address (existing or not, so being held back says
    nothing about whether an account exists) and the client's address: an attacker slows
    only their own pair, never the owner signing in from elsewhere. A right password clears
    the pair; pairs idle for a day are forgotten.
    """

    __tablename__ = "sign_in_throttle"
    __table_args__ = (Index("ix_sign_in_throttle_last_failed", "last_failed_at"),)
    account_hash: str = Field(primary_key=True, max_length=64)
    address: str = Field(primary_key=True, max_length=64)
    failures: int
    first_failed_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    last_failed_at: datetime = Field(sa_type=UTC_TIMESTAMP)
