"""sessions and throttling

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Sessions of the coordinator pages move to the server (``web_session``), so signing out, a
password change, losing the sign-in role and deactivation end them at once. The per-account
lockout goes (anyone could lock staff out with it): wrong passwords now slow down only the
(account, address) pair they come from (``sign_in_throttle``), and the account holder is
e-mailed at most once a day (``credential.failures_told_at``), which needs an outbox message
that is about no audit.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_why', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index('ix_web_session_person_open', 'web_session', ['person_id', 'ended_at'])
    op.create_table('sign_in_throttle',
    sa.Column('account_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_hash', 'address')
    )
    op.create_index('ix_sign_in_throttle_last_failed', 'sign_in_throttle', ['last_failed_at'])
    # Nothing refers to these two tables, so SQLite's rebuild of each (batch mode) is safe.
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_count')
        batch_op.add_column(
            sa.Column('failures_told_at', sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('audit_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Account messages have no audit to belong to; they cannot outlive the column's rule.
    op.execute("DELETE FROM outbox WHERE audit_id IS NULL")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('audit_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('credential', schema=None) as batch_op:
        batch_op.drop_column('failures_told_at')
        batch_op.add_column(
            sa.Column('failed_count', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
    op.drop_index('ix_sign_in_throttle_last_failed', table_name='sign_in_throttle')
    op.drop_table('sign_in_throttle')
    op.drop_index('ix_web_session_person_open', table_name='web_session')
    op.drop_table('web_session')
