"""letter links

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26

A letter link lets a Section 175 setting read its own feedback letter: it names the frozen
letter it is for, and reading it changes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # As in 0010: SQLite adds the column with its REFERENCES clause, without a rebuild.
        op.execute("ALTER TABLE action_token ADD COLUMN report_id INTEGER REFERENCES report (id)")
    else:
        op.add_column('action_token', sa.Column('report_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            'action_token_report_id_fkey', 'action_token', 'report', ['report_id'], ['id']
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint('action_token_report_id_fkey', 'action_token', type_='foreignkey')
    op.drop_column('action_token', 'report_id')
