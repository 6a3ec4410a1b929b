"""deadlines as calendar entries

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07

Every e-mail that asks for something by a date carries an iCalendar entry for its deadline
(issue 19). Two tables keep each entry's identity, so an extension moves the entry people
already hold and a met or withdrawn deadline takes it away:

- ``deadline_entry``: one row per deadline put in calendars: a deadline row (a state's or an
  action's) or an escalation's assurance (exactly one of the two, checked here), what it asks
  for, the UID's own part (random, made once, never reused), its iCalendar SEQUENCE, its
  current due instant (UTC), when it was opened and when it ended (met or withdrawn);
- ``deadline_entry_holder``: each person sent the entry, since when, and when it was taken
  back from them (their part met, or they were removed).

No existing row changes: deadlines opened before this revision get their entry the first time
an e-mail about them is queued.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deadline_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("deadline_id", sa.Integer(), nullable=True),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("due", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("uid_token", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(deadline_id IS NULL) <> (escalation_id IS NULL)", name="ck_deadline_entry_target"
        ),
        sa.ForeignKeyConstraint(["audit_id"], ["audit_cycle.id"]),
        sa.ForeignKeyConstraint(["deadline_id"], ["deadline.id"]),
        sa.ForeignKeyConstraint(["escalation_id"], ["escalation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deadline_id"),
        sa.UniqueConstraint("escalation_id"),
        sa.UniqueConstraint("uid_token"),
    )
    op.create_index(
        op.f("ix_deadline_entry_audit_id"), "deadline_entry", ["audit_id"], unique=False
    )
    op.create_table(
        "deadline_entry_holder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("held_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["entry_id"], ["deadline_entry.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "person_id"),
    )
    op.create_index(
        op.f("ix_deadline_entry_holder_entry_id"),
        "deadline_entry_holder",
        ["entry_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_deadline_entry_holder_person_id"),
        "deadline_entry_holder",
        ["person_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_deadline_entry_holder_person_id"), table_name="deadline_entry_holder")
    op.drop_index(op.f("ix_deadline_entry_holder_entry_id"), table_name="deadline_entry_holder")
    op.drop_table("deadline_entry_holder")
    op.drop_index(op.f("ix_deadline_entry_audit_id"), table_name="deadline_entry")
    op.drop_table("deadline_entry")
