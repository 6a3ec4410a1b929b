"""sign-off bodies

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-09

Sign-off by body (issue 16, items 3-6): each decision records the bodies it counted for
(``sign_off_decision_body``); a programme entry may send its audit's report to other bodies
(``report_to``, copied to the audit when it is linked) and records the day its audit was
signed off (``signed_off_on``, per time round for recurring work). A new table and nullable
columns: nothing existing is rebuilt, and decisions made before have no bodies (their audits
keep the role-based rule they started with).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_off_decision_body",
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["body_id"], ["body.id"]),
        sa.ForeignKeyConstraint(["decision_id"], ["sign_off_decision.id"]),
        sa.PrimaryKeyConstraint("decision_id", "body_id"),
    )
    op.add_column("audit_cycle", sa.Column("report_to", sa.Text(), nullable=True))
    op.add_column("programme_entry", sa.Column("report_to", sa.Text(), nullable=True))
    op.add_column("programme_entry", sa.Column("signed_off_on", sa.Date(), nullable=True))
    op.add_column("programme_occurrence", sa.Column("signed_off_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("programme_occurrence", "signed_off_on")
    op.drop_column("programme_entry", "signed_off_on")
    op.drop_column("programme_entry", "report_to")
    op.drop_column("audit_cycle", "report_to")
    op.drop_table("sign_off_decision_body")
