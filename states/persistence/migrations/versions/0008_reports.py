"""reports

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28

Summary reports (the chair's narrative as a draft, then the frozen HTML, PDF and hash),
the products made from them, and a record of each dissemination. A frozen report is refused
any UPDATE or DELETE by the database itself, whoever issues it.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


_SQLITE_GUARDS = [
    f"""CREATE TRIGGER report_frozen_no_{verb.lower()} BEFORE {verb} ON report
    WHEN OLD.status = 'frozen'
    BEGIN SELECT RAISE(ABORT, 'a frozen report cannot be changed'); END"""
    for verb in ("UPDATE", "DELETE")
]
_POSTGRES_GUARDS = [
    """CREATE FUNCTION report_frozen_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.status = 'frozen' THEN
            RAISE EXCEPTION 'a frozen report cannot be changed';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER report_frozen_unchanged BEFORE UPDATE OR DELETE ON report
    FOR EACH ROW EXECUTE FUNCTION report_frozen_unchanged()""",
]


def upgrade() -> None:
    # New tables only: nothing existing is rebuilt, so the append-only event log is untouched.
    op.create_table('report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('agency_key', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('figures', sa.Text(), nullable=True),
    sa.Column('source_report_id', sa.Integer(), nullable=True),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=False),
    sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('frozen_by', sa.Integer(), nullable=True),
    sa.Column('audit_version', sa.Integer(), nullable=True),
    sa.CheckConstraint(
        "status = 'draft' OR (status = 'frozen' AND html IS NOT NULL "
        "AND content_hash IS NOT NULL AND frozen_at IS NOT NULL)",
        name='ck_report_frozen_whole',
    ),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_cycle.id'], ),
    sa.ForeignKeyConstraint(['frozen_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['source_report_id'], ['report.id'], ),
    sa.ForeignKeyConstraint(['updated_by'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('audit_id', 'kind', 'agency_key', 'version')
    )
    op.create_index(op.f('ix_report_audit_id'), 'report', ['audit_id'], unique=False)
    op.create_table('dissemination',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('disseminated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('disseminated_by', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_cycle.id'], ),
    sa.ForeignKeyConstraint(['disseminated_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_dissemination_audit_id'), 'dissemination', ['audit_id'], unique=False)
    op.create_index(op.f('ix_dissemination_report_id'), 'dissemination', ['report_id'], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_GUARDS if dialect == 'sqlite' else _POSTGRES_GUARDS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        op.execute('DROP TRIGGER report_frozen_unchanged ON report')
        op.execute('DROP FUNCTION report_frozen_unchanged()')
    op.drop_index(op.f('ix_dissemination_report_id'), table_name='dissemination')
    op.drop_index(op.f('ix_dissemination_audit_id'), table_name='dissemination')
    op.drop_table('dissemination')
    op.drop_index(op.f('ix_report_audit_id'), table_name='report')
    op.drop_table('report')
