"""the multi-agency audit discussion

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07

Partnerships discuss an audit's case audits at a meeting of its agencies and auditors before
moderation is agreed (issue 19). Two tables:

- ``audit_meeting``: one row per meeting of an audit (several over time; at most one scheduled
  at a time, checked under the audit's row lock by ``states.services.meetings``), with the
  random part of its calendar UID (made once), its iCalendar SEQUENCE, its status (scheduled,
  cancelled, held), its start and end as UTC instants, its place and/or online link (at least
  one, checked here too) and who scheduled it;
- ``meeting_attendee``: each person invited to a meeting, when, when taken off the list, and
  whether they attended (recorded by whom and when).

No existing row changes.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("uid_token", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("online_link", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("scheduled_by", sa.Integer(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name="ck_audit_meeting_times"),
        sa.CheckConstraint(
            "place IS NOT NULL OR online_link IS NOT NULL", name="ck_audit_meeting_where"
        ),
        sa.ForeignKeyConstraint(["audit_id"], ["audit_cycle.id"]),
        sa.ForeignKeyConstraint(["scheduled_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid_token"),
    )
    op.create_index(op.f("ix_audit_meeting_audit_id"), "audit_meeting", ["audit_id"], unique=False)
    op.create_table(
        "meeting_attendee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["meeting_id"], ["audit_meeting.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "person_id"),
    )
    op.create_index(
        op.f("ix_meeting_attendee_meeting_id"), "meeting_attendee", ["meeting_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_meeting_attendee_meeting_id"), table_name="meeting_attendee")
    op.drop_table("meeting_attendee")
    op.drop_index(op.f("ix_audit_meeting_audit_id"), table_name="audit_meeting")
    op.drop_table("audit_meeting")
