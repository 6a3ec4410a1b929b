"""revocation

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

A coordinator can remove a person (``person.active``) or one of their roles, each recorded
with its reason in the append-only ``directory_change``; their unused links are withdrawn
(``action_token.revoked_at`` and ``revoked_why``). Refusals of one link are counted on one
row per outcome (``token_event.times`` and ``last_at``) instead of a row each, so a scanner
opening a dead link all day cannot grow the table: rows already there are folded together.
Like the event log, the directory's log refuses UPDATE and DELETE in the database itself.
Only new tables and ``token_event`` are rebuilt on SQLite (nothing references it); columns
on ``person`` and ``action_token`` are added and dropped natively, so the append-only event
log's foreign keys are never tripped.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# Each (link, outcome) keeps its first row, counting the others and the latest time; rows
# for tokens that were never ours (no token_id) are left as they are.
_COUNT = """
UPDATE token_event SET
  times = (SELECT count(*) FROM token_event e
           WHERE e.token_id = token_event.token_id AND e.outcome = token_event.outcome),
  last_at = (SELECT max(e.at) FROM token_event e
             WHERE e.token_id = token_event.token_id AND e.outcome = token_event.outcome)
WHERE token_id IS NOT NULL
"""
_FOLD = """
DELETE FROM token_event
WHERE token_id IS NOT NULL AND id NOT IN (
  SELECT min(e.id) FROM token_event e WHERE e.token_id IS NOT NULL GROUP BY e.token_id, e.outcome
)
"""


_SQLITE_GUARDS = [
    f"""CREATE TRIGGER directory_change_no_{verb.lower()} BEFORE {verb} ON directory_change
    BEGIN SELECT RAISE(ABORT, 'directory_change is append-only'); END"""
    for verb in ("UPDATE", "DELETE")
]
_POSTGRES_GUARDS = [
    """CREATE FUNCTION directory_change_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'directory_change is append-only'; END $$""",
    """CREATE TRIGGER directory_change_append_only BEFORE UPDATE OR DELETE ON directory_change
    FOR EACH ROW EXECUTE FUNCTION directory_change_append_only()""",
]


def upgrade() -> None:
    op.add_column(
        'person', sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column('action_token', sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        'action_token',
        sa.Column('revoked_why', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    )
    op.add_column(
        'token_event', sa.Column('times', sa.Integer(), nullable=False, server_default='1')
    )
    op.add_column('token_event', sa.Column('last_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(_COUNT)
    op.execute("UPDATE token_event SET last_at = at WHERE last_at IS NULL")
    op.execute(_FOLD)
    with op.batch_alter_table('token_event', schema=None) as batch_op:
        batch_op.alter_column(
            'last_at', existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_unique_constraint(
            'uq_token_event_token_id_outcome', ['token_id', 'outcome']
        )
    op.create_table('directory_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('change', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changed_by', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('links_revoked', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('directory_change', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_directory_change_person_id'), ['person_id'], unique=False
        )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_GUARDS if sqlite else _POSTGRES_GUARDS:
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table('directory_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_change_person_id'))
    op.drop_table('directory_change')  # its triggers go with it
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS directory_change_append_only()")
    with op.batch_alter_table('token_event', schema=None) as batch_op:
        batch_op.drop_constraint('uq_token_event_token_id_outcome', type_='unique')
        batch_op.drop_column('last_at')
        batch_op.drop_column('times')
    op.drop_column('action_token', 'revoked_why')
    op.drop_column('action_token', 'revoked_at')
    op.drop_column('person', 'active')
