"""findings by return and question

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-11

The moderation page reads a page of a thousand-case MACE's findings at a time (issue 17): the
findings of one agency in one section (the section's questions), from the agency's returns,
sorted by case. The findings' index on their return gains the question as a second column,
so those rows are found by return and question, without reading the return's other findings
(a return carries some twenty-five). Every lookup the old index served (a return's findings,
the foreign key) is served by the new one's first column. No row changes.

The index on the findings' audit stays as it is: an index on audit and question would serve
one section of a whole audit, but SQLite reads an audit's findings through it in question
order rather than in the order they were written, which made every statement that reads all
of an audit's findings (its counts, its reports) several times slower.
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


def downgrade() -> None:
    op.create_index("ix_finding_return_id", "finding", ["return_id"], unique=False)
    op.drop_index("ix_finding_return_question", table_name="finding")
