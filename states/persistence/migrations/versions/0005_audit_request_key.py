"""audit request key

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

The key of the request that started an audit (a Prefect flow run id), so a retried start
returns the audit it already made.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain column and a unique index: both are native on SQLite, so the audit table is
    # not rebuilt (a rebuild would trip the append-only event log's foreign keys).
    op.add_column(
        'audit_cycle',
        sa.Column('request_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    op.create_index('ix_audit_cycle_request_key', 'audit_cycle', ['request_key'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_audit_cycle_request_key', table_name='audit_cycle')
    op.drop_column('audit_cycle', 'request_key')
