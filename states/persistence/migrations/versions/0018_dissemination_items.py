"""dissemination items

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08

What an audit type must share is declared in its definition (issue 15, item 11); each item
recorded as shared, with the channel it went by and the day it went out, is a row here, and
the ``dissemination_recorded`` gate waits for one per declared item. A new table only;
nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=63), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("shared_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["audit_cycle.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("audit_id", "item", "channel", "shared_on"),
    )
    op.create_index(op.f("ix_shared_item_audit_id"), "shared_item", ["audit_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_shared_item_audit_id"), table_name="shared_item")
    op.drop_table("shared_item")
