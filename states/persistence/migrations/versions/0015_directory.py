"""directory

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-14

The partnership's directory becomes the engine's own. Agencies gain a URN and phase (schools,
colleges and early years settings) and can be deactivated; ``kind`` holds an ``AgencyKind``
value, so the free words rows had are mapped: "local authority" -> local_authority, "police"
-> police, "health" -> health_service, "justice" -> justice, "housing" -> housing,
"voluntary" -> voluntary_sector, "statutory partner" -> police or integrated_care_board when
its name says so, else local_authority (the third partner), and anything else -> other.
"education" -> other as well: those rows have no URN, and a setting is known by its URN, so a
coordinator makes each school a setting by giving its URN.

New ``body`` and ``body_member``: the learning hub, the statutory partners and the groups the
programme reports to, with their members. ``directory_change`` becomes the log of every
change to the directory: ``subject`` (agency, setting, person or body; every row before this
was about a person), ``agency_id`` and ``body_id`` beside ``person_id`` (now optional), and
``changed_fields`` (each field's old and new value). Its append-only triggers are dropped to
rebuild the table (SQLite) and fill ``subject``, and made again at once. ``agency`` and
``person`` are changed natively, never rebuilt: other tables and the append-only event log
refer to them.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_KINDS = (
    "local_authority",
    "police",
    "integrated_care_board",
    "health_trust",
    "health_service",
    "school",
    "college",
    "early_years",
    "justice",
    "housing",
    "voluntary_sector",
    "other",
)
_KNOWN = ", ".join(f"'{kind}'" for kind in _KINDS)
_WORD = "lower(trim(kind))"
_MAP_KINDS = f"""
UPDATE agency SET kind = CASE
  WHEN kind IN ({_KNOWN}) THEN kind
  WHEN {_WORD} = 'local authority' THEN 'local_authority'
  WHEN {_WORD} = 'police' THEN 'police'
  WHEN {_WORD} = 'health' THEN 'health_service'
  WHEN {_WORD} = 'justice' THEN 'justice'
  WHEN {_WORD} = 'housing' THEN 'housing'
  WHEN {_WORD} IN ('voluntary', 'voluntary sector') THEN 'voluntary_sector'
  WHEN {_WORD} = 'statutory partner' AND lower(name) LIKE '%police%' THEN 'police'
  WHEN {_WORD} = 'statutory partner'
       AND (lower(name) LIKE '%care board%' OR lower(code) = 'icb') THEN 'integrated_care_board'
  WHEN {_WORD} = 'statutory partner' THEN 'local_authority'
  ELSE 'other'
END
"""

_SQLITE_GUARDS = [
    f"""CREATE TRIGGER directory_change_no_{verb.lower()} BEFORE {verb} ON directory_change
    BEGIN SELECT RAISE(ABORT, 'directory_change is append-only'); END"""
    for verb in ("UPDATE", "DELETE")
]
_SQLITE_UNGUARD = [f"DROP TRIGGER directory_change_no_{verb}" for verb in ("update", "delete")]
# PostgreSQL keeps the trigger's function (0014 made it); only the trigger goes and comes back.
_POSTGRES_GUARDS = [
    """CREATE TRIGGER directory_change_append_only BEFORE UPDATE OR DELETE ON directory_change
    FOR EACH ROW EXECUTE FUNCTION directory_change_append_only()""",
]
_POSTGRES_UNGUARD = ["DROP TRIGGER directory_change_append_only ON directory_change"]


def _guards(on: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if on:
        statements = _SQLITE_GUARDS if sqlite else _POSTGRES_GUARDS
    else:
        statements = _SQLITE_UNGUARD if sqlite else _POSTGRES_UNGUARD
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    op.add_column(
        "agency", sa.Column("urn", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True)
    )
    op.add_column(
        "agency", sa.Column("phase", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True)
    )
    op.add_column(
        "agency", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.create_index(op.f("ix_agency_urn"), "agency", ["urn"], unique=True)
    op.execute(_MAP_KINDS)
    op.create_table(
        "body",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "body_member",
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"],
            ["body.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("body_id", "person_id"),
    )
    op.create_index(op.f("ix_body_member_person_id"), "body_member", ["person_id"], unique=False)
    _guards(on=False)
    with op.batch_alter_table("directory_change", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )
        batch_op.add_column(sa.Column("agency_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("body_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("changed_fields", sa.Text(), nullable=True))
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            "fk_directory_change_agency_id_agency", "agency", ["agency_id"], ["id"]
        )
        batch_op.create_foreign_key("fk_directory_change_body_id_body", "body", ["body_id"], ["id"])
        batch_op.create_index(
            batch_op.f("ix_directory_change_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_directory_change_body_id"), ["body_id"], unique=False)
    op.execute("UPDATE directory_change SET subject = 'person'")
    with op.batch_alter_table("directory_change", schema=None) as batch_op:
        batch_op.alter_column(
            "subject", existing_type=sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        )
    _guards(on=True)


def downgrade() -> None:
    _guards(on=False)
    # Only people's rows fit the older log, which names a person on every row.
    op.execute("DELETE FROM directory_change WHERE person_id IS NULL OR subject <> 'person'")
    with op.batch_alter_table("directory_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_change_body_id"))
        batch_op.drop_index(batch_op.f("ix_directory_change_agency_id"))
        batch_op.drop_constraint("fk_directory_change_body_id_body", type_="foreignkey")
        batch_op.drop_constraint("fk_directory_change_agency_id_agency", type_="foreignkey")
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("changed_fields")
        batch_op.drop_column("body_id")
        batch_op.drop_column("agency_id")
        batch_op.drop_column("subject")
    _guards(on=True)
    op.drop_index(op.f("ix_body_member_person_id"), table_name="body_member")
    op.drop_table("body_member")
    op.drop_table("body")
    # The kinds stay as mapped: the words they replaced are not known any more.
    op.drop_index(op.f("ix_agency_urn"), table_name="agency")
    op.drop_column("agency", "active")
    op.drop_column("agency", "phase")
    op.drop_column("agency", "urn")
