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

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'oscp.db'}"
