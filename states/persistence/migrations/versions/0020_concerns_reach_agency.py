"""concerns reach the agency

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-10

Immediate-risk concerns that reach, and can be read by, the agency (issue 16, items 7-9): each
time a concern's words are shown (behind the agency's link, or on the audit page to the chair
and coordinators) a ``concern_read`` row says who, when and how; a concern raised by a
return's immediate-risk question names the return and question on its ``escalation`` row,
unique together, so saving the return again never raises it twice. Two nullable columns and
a new table: nothing existing is rewritten.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("return_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("question_id", sa.String(length=63), nullable=True))
        batch_op.create_foreign_key(
            "fk_escalation_return_id", "audit_return", ["return_id"], ["id"]
        )
        batch_op.create_unique_constraint(
            "uq_escalation_return_question", ["return_id", "question_id"]
        )
    op.create_table(
        "concern_read",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["escalation_id"], ["escalation.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("concern_read", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_concern_read_escalation_id"), ["escalation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("concern_read", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_concern_read_escalation_id"))
    op.drop_table("concern_read")
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_constraint("uq_escalation_return_question", type_="unique")
        batch_op.drop_constraint("fk_escalation_return_id", type_="foreignkey")
        batch_op.drop_column("question_id")
        batch_op.drop_column("return_id")
