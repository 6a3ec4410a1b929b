"""programme

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

The audit programme (definitions/programme/) as rows, each linked to the audit started for it.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table only: nothing existing is rebuilt, so the append-only event log is untouched.
    op.create_table('programme_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=63), nullable=False),
    sa.Column('timeframe', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('due_year', sa.Integer(), nullable=True),
    sa.Column('due_month', sa.Integer(), nullable=True),
    sa.Column('due_recurring', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('theme', sa.Text(), nullable=False),
    sa.Column('audit_type', sqlmodel.sql.sqltypes.AutoString(length=63), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('report_author', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('sign_off', sa.Text(), nullable=False),
    sa.Column('impact_monitoring', sa.Text(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_cycle.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('programme', 'key')
    )
    op.create_index(op.f('ix_programme_entry_audit_id'), 'programme_entry', ['audit_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_programme_entry_audit_id'), table_name='programme_entry')
    op.drop_table('programme_entry')
