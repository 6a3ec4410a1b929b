"""What an operator may tune about the web app, from the environment (prefix ``OSCP_WEB_``).

The CSRF secret defaults to a fresh random one per process: forms opened before a restart
are refused once (the person reloads the page), which is safer than a fixed default secret.
Set ``OSCP_WEB_CSRF_SECRET`` when more than one process serves the same links. The session
secret (``OSCP_WEB_SESSION_SECRET``) works the same way: by default a restart signs everyone
out of the coordinator pages.
"""

from __future__ import annotations

import ipaddress
import secrets
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    # Per client address, for sign-in attempts only: with the per-(account, address) waits
    # this keeps guessing slow from one address without locking anyone out for a typo.
    signin_rate_limit: str = "10/minute"
    # Password hashes at once in this process (argon2, 64 MiB each), and how long a sign-in
    # waits for a free one before it is answered 503 "busy, try again in a minute".
    hashing_limit: int = Field(default=4, ge=1)
    hashing_wait_seconds: float = Field(default=2.0, ge=0)
    # The reverse proxies in front of the app: addresses or networks, comma-separated. Only
    # from these is X-Forwarded-For believed, so rate limits and sign-in throttling count the
    # person's address rather than the proxy's; from anyone else the header is ignored, or a
    # client could pick a fresh address for every guess. Empty, the default, trusts nobody.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_address_or_network(entry) for entry in value)


def _address_or_network(entry: str) -> str:
    """The entry written as uvicorn's proxy middleware matches it: anything else it would keep
    as a literal name that no peer ever matches, silently trusting nobody."""
    try:
        if "/" in entry:
            return str(ipaddress.ip_network(entry, strict=False))
        return str(ipaddress.ip_address(entry))
    except ValueError:
        raise ValueError(
            f"'{entry}' is not an IP address or network; name each proxy by its address "
            "(10.0.0.1) or network (10.0.0.0/24), separated by commas"
        ) from None
