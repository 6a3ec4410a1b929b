"""Settings from the environment (prefix ``OSCP_``) and from the home's ``settings.env`` that
``oscp init`` writes, built when asked for, never at import. The environment wins, so an
operator can override one setting for one run without editing the file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    FilePath,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from notifications.smtp import TlsMode
from states.errors import InvalidInput

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = PROJECT_ROOT / "var"
SETTINGS_FILE = "settings.env"


def home_settings_file() -> Path:
    """Where this run's home keeps its settings: the home is itself a setting, so it comes
    from the environment (or the default) before the file can be read."""
    return Path(os.environ.get("OSCP_HOME") or DEFAULT_HOME) / SETTINGS_FILE


class IdentityProvider(BaseModel):
    """An organisation's OpenID Connect provider that people may sign in with (one entry of
    ``OSCP_OIDC_PROVIDERS``, a JSON list). The provider redirects back to
    ``base_url`` + ``/signin/oidc/<name>/callback``, which its registration must name."""

    model_config = {"extra": "forbid", "frozen": True}

    # Short, for addresses: /signin/oidc/<name>.
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    # On the sign-in page's button: "Sign in with <label>".
    label: str = Field(min_length=1, max_length=80)
    # Exactly as the provider's discovery document states it, e.g.
    # https://login.microsoftonline.com/<tenant id>/v2.0 or https://accounts.google.com.
    issuer: str = Field(pattern=r"^(https://|http://(127\.0\.0\.1|localhost)[:/])")
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    # The claim saying the provider confirmed the address: Google and most providers send
    # email_verified; Microsoft Entra ID sends it only as the optional claim xms_edov.
    verified_claim: str = "email_verified"


def _distinct_names(providers: list[IdentityProvider]) -> list[IdentityProvider]:
    names = [provider.name for provider in providers]
    if len(set(names)) != len(names):
        raise ValueError("each provider needs a name of its own")
    return providers


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OSCP_", extra="ignore")

    home: Path = DEFAULT_HOME
    database_url: str | None = None
    definitions: Path = PROJECT_ROOT / "definitions" / "audit_types"
    actor: str | None = None

    # Outgoing mail. The defaults are the local capture (``oscp mail serve``), so a newcomer's
    # machine never sends real e-mail; production sets the partnership's relay here.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    # How the connection to the relay is encrypted: none (only for the local capture),
    # starttls (usually port 587) or implicit TLS, SMTPS (usually port 465). The relay's
    # certificate is checked against the system's authorities, or only against
    # ``smtp_ca_file`` for a relay with a private one. A login needs one of the two.
    smtp_tls: TlsMode = "none"
    smtp_starttls: bool = False  # the older switch: true means smtp_tls=starttls
    smtp_ca_file: FilePath | None = None
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 30.0
    mail_from: str = "OSCP Learning Hub <learning-hub@oscp.example.org>"
    # Links in messages point here; Message-IDs end in ``@mail_domain``.
    base_url: str = "http://127.0.0.1:8000"
    mail_domain: str = "oscp.example.org"

    # Prefect. With an API address set, the worker runs the periodic work as flows so the
    # Prefect UI shows every run; ``oscp up`` sets it to the server it starts.
    prefect_api_url: str | None = None
    prefect_port: int = 4200
    # Prefect's own database; its server keeps SQLite in OSCP_HOME/prefect unless this names
    # a PostgreSQL database (``postgresql+asyncpg://...``), as at scale.
    prefect_database_url: str | None = None
    # The worker starts the programme's recurring work that its file gives a ``calendar``
    # (each quarter's effectiveness report, each year's training-impact audit and programme
    # review) in this coordinator's name, with this author; unset, the worker starts none and
    # they are started by hand (`oscp programme start KEY`).
    calendar_coordinator: str | None = None
    calendar_lead: str | None = None
    # The process work pool that ``oscp flows deploy`` and ``oscp flows worker`` use.
    prefect_work_pool: str = "oscp"
    # Prefect's server takes one login ("user:password") for its API and UI. Unset, the
    # first process that needs one makes it and keeps it in OSCP_HOME (oscp_flow.prefect_auth).
    prefect_auth_string: SecretStr | None = None
    # The coordinator (an e-mail in the directory) that a run started through Prefect acts
    # as: the flows never take the person acting from their parameters.
    prefect_operator: str | None = None

    # The worker's lease: renewed this often, and lapsing this long after a renewal. A
    # follower takes over within the sum of the two after the leader dies (within one
    # renewal when the dead leader ran on the same machine); the leader itself stops ticking
    # one renewal before its lease lapses, however late its renewals are.
    worker_lease_seconds: float = 12.0
    worker_renew_seconds: float = 3.0

    # The partnership's own name, as letters and reports print it.
    partnership_name: str = "Oldham Safeguarding Children Partnership"

    # Sign-in with the organisation's account (OpenID Connect), a JSON list of providers
    # (``IdentityProvider``); none by default, when only passwords sign in.
    oidc_providers: Annotated[list[IdentityProvider], AfterValidator(_distinct_names)] = []

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        home_file = DotEnvSettingsSource(settings_cls, env_file=home_settings_file())
        return (init_settings, env_settings, home_file)

    @model_validator(mode="after")
    def _lease_outlasts_renewals(self) -> Self:
        if not 0 < 3 * self.worker_renew_seconds <= self.worker_lease_seconds:
            raise ValueError(
                "OSCP_WORKER_LEASE_SECONDS must be at least three times "
                "OSCP_WORKER_RENEW_SECONDS (both above 0), so a leader may miss a renewal and "
                "still stop before its lease lapses"
            )
        return self

    @model_validator(mode="after")
    def _login_only_over_tls(self) -> Self:
        if self.smtp_starttls and self.smtp_tls == "implicit":
            raise ValueError(
                "OSCP_SMTP_STARTTLS and OSCP_SMTP_TLS=implicit contradict each other: "
                "unset OSCP_SMTP_STARTTLS"
            )
        if self.smtp_starttls:
            self.smtp_tls = "starttls"
        if self.smtp_username and self.smtp_tls == "none":
            raise ValueError(
                "OSCP_SMTP_USERNAME is set without TLS, so the password would cross the "
                "network unencrypted: set OSCP_SMTP_TLS to starttls or implicit"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'oscp.db'}"


class SettingsInvalid(InvalidInput):
    """A setting in the environment cannot be used; the sentence names the variable."""


AnySettings = TypeVar("AnySettings", bound=BaseSettings)


def load(kind: type[AnySettings], **given: Any) -> AnySettings:
    """``kind(**given)`` (and the rest from the environment), or ``SettingsInvalid`` naming
    each variable at fault and never its value (it may be a password)."""
    try:
        return kind(**given)
    except ValidationError as exc:
        prefix = str(kind.model_config.get("env_prefix", ""))
        problems = "; ".join(_problem(prefix, error) for error in exc.errors())
        raise SettingsInvalid(
            f"The settings cannot be used ({problems}); correct them and start again."
        ) from None


def _problem(prefix: str, error: ErrorDetails) -> str:
    cause = error.get("ctx", {}).get("error")
    message = error["msg"]
    text = str(cause) if isinstance(cause, ValueError) else message[:1].lower() + message[1:]
    name = "_".join(str(part) for part in error["loc"]).upper()
    return f"{prefix}{name}: {text}" if name else text
