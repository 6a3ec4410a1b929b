"""Settings from the environment (prefix ``OSCP_``), built when asked for, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OSCP_", extra="ignore")

    home: Path = PROJECT_ROOT / "var"
    database_url: str | None = None
    definitions: Path = PROJECT_ROOT / "definitions" / "audit_types"
    actor: str | None = None

    # Outgoing mail. The defaults are the local capture (``oscp mail serve``), so a newcomer's
    # machine never sends real e-mail; production sets the partnership's relay here.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_starttls: bool = False
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
    # The worker starts the partnership's calendar work (each quarter's effectiveness report,
    # each year's programme review) in this coordinator's name, with this author; unset, the
    # worker starts neither and they are started by hand.
    calendar_coordinator: str | None = None
    calendar_lead: str | None = None
    # The process work pool that ``oscp flows deploy`` and ``oscp flows worker`` use.
    prefect_work_pool: str = "oscp"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'oscp.db'}"
