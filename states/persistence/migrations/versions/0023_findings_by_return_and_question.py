"""findings by return and question

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-11

The moderation page reads a page of a thousand-case MACE's findings at a time (issue 17): the
findings of one agency in one section (the section's questions), sorted by case. Two indexes
let both stores find those rows without reading the audit's other findings:

- the findings' index on their return gains the question as a second column, so SQLite goes
  from the agency's returns straight to their findings for the section's questions, without
  reading each return's other findings (a return carries some twenty-five). Every lookup the
  old index served (a return's findings, the foreign key) is served by its first column;
- a new index on question and audit, through which PostgreSQL reads the audit's findings for
  the section's questions (a bitmap scan) where it would otherwise scan the whole table.

The index on the findings' audit stays as it is: an index on audit and question in its place
would have SQLite read a whole audit's findings (its counts, its reports) in question order
rather than in the order they were written, several times slower. No row changes.
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_finding_return_question", "finding", ["return_id", "question_id"], unique=False
    )
    op.drop_index("ix_finding_return_id", table_name="finding")
    op.create_index(
        "ix_finding_question_audit", "finding", ["question_id", "audit_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_finding_question_audit", table_name="finding")
    op.create_index("ix_finding_return_id", "finding", ["return_id"], unique=False)
    op.drop_index("ix_finding_return_question", table_name="finding")
