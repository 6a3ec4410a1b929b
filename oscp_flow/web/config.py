"""What an operator may tune about the web app, from the environment (prefix ``OSCP_WEB_``).

The CSRF secret defaults to a fresh random one per process: forms opened before a restart
are refused once (the person reloads the page), which is safer than a fixed default secret.
Set ``OSCP_WEB_CSRF_SECRET`` when more than one process serves the same links. The session
secret (``OSCP_WEB_SESSION_SECRET``) works the same way: by default a restart signs everyone
out of the coordinator pages.
"""

from __future__ import annotations

import secrets

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _random_secret() -> SecretStr:
    return SecretStr(secrets.token_urlsafe(32))


class WebConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OSCP_WEB_", extra="ignore")

    csrf_secret: SecretStr = Field(default_factory=_random_secret)
    # Per client address, across every /act/ request: enough for a person filling in a long
    # return, far too few to guess a 256-bit token (which is hopeless anyway).
    rate_limit: str = "30/minute"
    rate_limit_enabled: bool = True
    # A return can take an afternoon; a form older than this is refused and reloaded.
    form_lifetime_seconds: int = 8 * 60 * 60
    max_form_bytes: int = 2_000_000
    session_secret: SecretStr = Field(default_factory=_random_secret)
    # A working day: a coordinator signs in once in the morning.
    session_lifetime_seconds: int = 8 * 60 * 60
    # Per client address, for sign-in attempts only: with the per-account lockout this keeps
    # guessing slow from one address without locking anyone out for a typo.
    signin_rate_limit: str = "10/minute"
