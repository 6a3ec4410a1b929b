"""recurring calendar

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08

Recurring work follows the plan (issue 15, item 13): a programme entry may be started by the
worker each time it comes round (``starts_months_before_due``, up to ``recurs_until``), and
each time round's audit is linked to its entry in ``programme_occurrence``, as a one-off
entry's audit is by ``programme_entry.audit_id``. Two nullable columns and a new table:
nothing existing is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "programme_entry", sa.Column("starts_months_before_due", sa.Integer(), nullable=True)
    )
    op.add_column("programme_entry", sa.Column("recurs_until", sa.Date(), nullable=True))
    op.create_table(
        "programme_occurrence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("due_year", sa.Integer(), nullable=False),
        sa.Column("due_month", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audit_cycle.id"]),
        sa.ForeignKeyConstraint(["entry_id"], ["programme_entry.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("audit_id"),
        sa.UniqueConstraint("entry_id", "due_year", "due_month"),
    )


def downgrade() -> None:
    op.drop_table("programme_occurrence")
    op.drop_column("programme_entry", "recurs_until")
    op.drop_column("programme_entry", "starts_months_before_due")
