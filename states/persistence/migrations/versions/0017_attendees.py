"""attendees

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

Training impact is "based on the reports of course attendees" (framework s.7, issue 15): each
attendee is a case row of the audit (a pseudonymous reference and the agency that gathers
their returns) and ``attendee`` adds the course and cohort their returns are counted under.
A new table only; nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attendee",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("course", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("cohort", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_record.id"],
        ),
        sa.PrimaryKeyConstraint("case_id"),
    )


def downgrade() -> None:
    op.drop_table("attendee")
