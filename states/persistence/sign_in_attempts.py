"""Sign-in attempts through an organisation's identity provider (OpenID Connect).

A row per attempt, made when the person leaves for their provider and taken once when the
provider sends them back: the state that comes back is looked up by its SHA-256 only, and the
row holds what the server must remember in between, the nonce the ID token must carry and
the PKCE code verifier the token request must prove. Nothing here names the person: who they
are is known only from the verified ID token, after the row is taken.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from states.persistence.records import UTC_TIMESTAMP


class SignInAttempt(SQLModel, table=True):
    """One sign-in begun with a provider; ``used_at`` is set by the one callback that takes
    it, so a replayed or concurrent second callback finds it gone."""

    __tablename__ = "sign_in_attempt"
    __table_args__ = (Index("ix_sign_in_attempt_created", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    state_hash: str = Field(max_length=64, unique=True)
    provider: str = Field(max_length=40)
    nonce: str = Field(max_length=100)
    code_verifier: str = Field(max_length=128)
    # The coordinator page the person asked for before signing in, if any.
    next_page: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_type=UTC_TIMESTAMP)
    used_at: datetime | None = Field(default=None, sa_type=UTC_TIMESTAMP)
