"""frozen reports

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-10

Sign-off on a frozen report (issue 16, items 1 and 2): submitting a summary report for
sign-off freezes its content (version, sections, figures, the SHA-256 of their canonical
serialisation, when and by whom) in the submission's own transaction, where nothing can render
it; its HTML and PDF are made from that content when read. So a frozen row needs its HTML only
when it is a product (or a summary frozen before): ``ck_report_frozen_whole`` now accepts a
frozen summary that holds its figures instead. No row changes, and every row stored before
meets the new rule, which only widens the old one.

PostgreSQL replaces the constraint. SQLite cannot alter a CHECK, and rebuilding ``report``
would drop a table that others reference, inside a transaction where foreign keys cannot be
switched off; so its stored table definition is edited in place, the procedure SQLite
documents for removing or loosening a constraint ("Making Other Kinds Of Table Schema
Changes", lang_altertable.html): the same transaction bumps the schema version, so every
connection rereads it, and ``quick_check`` confirms the file afterwards.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

NAME = "ck_report_frozen_whole"
BEFORE = (
    "status = 'draft' OR (status = 'frozen' AND html IS NOT NULL "
    "AND content_hash IS NOT NULL AND frozen_at IS NOT NULL)"
)
AFTER = (
    "status = 'draft' OR (status = 'frozen' AND content_hash IS NOT NULL "
    "AND frozen_at IS NOT NULL AND (html IS NOT NULL "
    "OR (kind = 'summary' AND figures IS NOT NULL)))"
)


def _sqlite_replace(bind: sa.Connection, old: str, new: str) -> None:
    read = sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'report'")
    table = str(bind.execute(read).scalar_one())
    if f"CONSTRAINT {NAME} CHECK ({old})" not in table:
        raise RuntimeError(f"report's {NAME} is not the one this migration replaces")
    version = int(bind.execute(sa.text("PRAGMA schema_version")).scalar_one())
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'report'"),
        {"sql": table.replace(f"CHECK ({old})", f"CHECK ({new})")},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {version + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))
    checked = bind.execute(sa.text("PRAGMA quick_check")).scalars().all()
    if checked != ["ok"]:
        raise RuntimeError(f"the database failed its check after the change: {checked[:3]}")


def _replace(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_replace(bind, old, new)
        return
    op.drop_constraint(NAME, "report", type_="check")
    op.create_check_constraint(NAME, "report", new)


def upgrade() -> None:
    _replace(BEFORE, AFTER)


def downgrade() -> None:
    content_only = op.get_bind().execute(
        sa.text("SELECT count(*) FROM report WHERE status = 'frozen' AND html IS NULL")
    )
    if content_only.scalar_one():
        raise RuntimeError(
            "Summaries were frozen as content only (their HTML is made when read); 0021 "
            "cannot hold them, so the database stays at 0022."
        )
    _replace(AFTER, BEFORE)
