"""sign-in through an organisation's identity provider

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07

Coordinators, chairs, auditors and learning hub members may sign in with their organisation's
account (OpenID Connect: Microsoft Entra ID, Google Workspace). Each attempt is a row,
``sign_in_attempt``, made when the person is sent to their provider and taken once when the
provider sends them back: the state is kept only as its SHA-256 (unique, so it is looked up
and taken in one statement), with the nonce and the PKCE code verifier the server must
remember in between, the provider's short name, the page asked for, when it was made (an
attempt older than ten minutes is refused) and when it was used (a second callback with the
same state is refused). The index on ``created_at`` lets old attempts be cleared without
reading the others. No existing row changes; the way down drops the table.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "sign_in_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", text(length=64), nullable=False),
        sa.Column("provider", text(length=40), nullable=False),
        sa.Column("nonce", text(length=100), nullable=False),
        sa.Column("code_verifier", text(length=128), nullable=False),
        sa.Column("next_page", text(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("state_hash"),
    )
    op.create_index("ix_sign_in_attempt_created", "sign_in_attempt", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_attempt_created", table_name="sign_in_attempt")
    op.drop_table("sign_in_attempt")
