"""terms of reference

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

An audit's terms of reference as data (issue 15): scope, time window, methodology, tool,
sample rationale and timetable, one row per audit, recorded before the terms are agreed and
shown on the audit and in its report. A new table only; nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "terms_of_reference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("time_window", sa.Text(), nullable=False),
        sa.Column("methodology", sa.Text(), nullable=False),
        sa.Column("tool", sa.Text(), nullable=False),
        sa.Column("sample_rationale", sa.Text(), nullable=False),
        sa.Column("timetable", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["audit_cycle.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("audit_id"),
    )


def downgrade() -> None:
    op.drop_table("terms_of_reference")
