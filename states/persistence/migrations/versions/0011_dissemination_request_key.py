"""dissemination request key

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26

A sharing recorded by a flow run carries the run's id, so a run retried after its write
committed finds the record it made instead of recording the sharing twice.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain column and a unique index, both native on SQLite: no table rebuild.
    op.add_column(
        'dissemination',
        sa.Column('request_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    op.create_index(
        'ix_dissemination_request_key', 'dissemination', ['request_key'], unique=True
    )


def downgrade() -> None:
    op.drop_index('ix_dissemination_request_key', table_name='dissemination')
    op.drop_column('dissemination', 'request_key')
