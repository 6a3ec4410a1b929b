"""action links

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26

An action link is bound to one action of an audit's plan, not to a stage: actions outlive
the stage they were agreed in, so the link names the action it is for.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its REFERENCES clause natively; Alembic would rebuild the
        # table for the constraint, and a rebuild trips the link log's foreign keys.
        op.execute("ALTER TABLE action_token ADD COLUMN action_id INTEGER REFERENCES action (id)")
    else:
        op.add_column('action_token', sa.Column('action_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            'action_token_action_id_fkey', 'action_token', 'action', ['action_id'], ['id']
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint('action_token_action_id_fkey', 'action_token', type_='foreignkey')
    op.drop_column('action_token', 'action_id')
