"""action plans

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27

Recommendations as actions owned by agencies, each with its own deadline and reminder
ladder, carried forward into the next cycle of the same theme while still open.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table only: its foreign keys are declared as it is created, which SQLite does
    # natively, so no existing table (least of all audit_cycle) is rebuilt.
    op.create_table('action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('recommendation', sa.Text(), nullable=False),
    sa.Column('owner_agency_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('evidence_by', sa.Integer(), nullable=True),
    sa.Column('evidence_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_by', sa.Integer(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('carried_from_action_id', sa.Integer(), nullable=True),
    sa.Column('deadline_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_cycle.id'], ),
    sa.ForeignKeyConstraint(['carried_from_action_id'], ['action.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadline.id'], ),
    sa.ForeignKeyConstraint(['evidence_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['owner_agency_id'], ['agency.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('audit_id', 'number'),
    sa.UniqueConstraint('carried_from_action_id'),
    sa.UniqueConstraint('deadline_id')
    )
    op.create_index(op.f('ix_action_owner_agency_id'), 'action', ['owner_agency_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_action_owner_agency_id'), table_name='action')
    op.drop_table('action')
