"""Setting up a new partnership's engine: what ``oscp init`` writes and creates.

The settings go to ``OSCP_HOME/settings.env`` as ``OSCP_*`` lines, which ``Settings`` reads
after the environment; they are checked by the same model before anything is written, so a
bad value is one sentence and an untouched home. The file is this user's alone (the home is
0700 and the file 0600) because it may hold the relay's password.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dotenv import set_key

from oscp_flow.settings import SETTINGS_FILE, Settings, home_settings_file, load
from oscp_flow.wiring import build
from states.errors import InvalidInput, WeakPassword
from states.rules.passwords import check_password
from states.services import credentials, partnership


@dataclass(frozen=True)
class Setup:
    partnership: str
    mail_from: str
    mail_domain: str
    base_url: str
    smtp_host: str
    smtp_port: int
    smtp_tls: str
    smtp_username: str | None
    smtp_password: str | None
    database_url: str | None
    coordinator_name: str
    coordinator_email: str
    coordinator_password: str

    def values(self) -> dict[str, str]:
        """The settings to keep, by their environment names; unset ones are left out."""
        found = {
            "OSCP_PARTNERSHIP_NAME": self.partnership,
            "OSCP_MAIL_FROM": self.mail_from,
            "OSCP_MAIL_DOMAIN": self.mail_domain,
            "OSCP_BASE_URL": self.base_url.rstrip("/"),
            "OSCP_SMTP_HOST": self.smtp_host,
            "OSCP_SMTP_PORT": str(self.smtp_port),
            "OSCP_SMTP_TLS": self.smtp_tls,
            "OSCP_SMTP_USERNAME": self.smtp_username,
            "OSCP_SMTP_PASSWORD": self.smtp_password,
            "OSCP_DATABASE_URL": self.database_url,
            # Runs started from the Prefect UI, and the calendar's own work, act as the first
            # coordinator until the partnership names someone else.
            "OSCP_PREFECT_OPERATOR": self.coordinator_email.strip().lower(),
        }
        return {k: v for k, v in found.items() if v}

    def apply(self) -> Path:
        """Write the settings, create the database, add the first coordinator; returns the
        settings file. Refuses a home that is already set up, changing nothing."""
        target = home_settings_file()
        if target.exists():
            raise InvalidInput(
                f"This home is already set up ({target}); edit that file to change a setting, "
                "or set OSCP_HOME to an empty folder for another partnership."
            )
        settings = self._checked(target.parent)
        try:
            check_password(self.coordinator_password)
        except WeakPassword as exc:
            raise InvalidInput(f"The first coordinator's password cannot be used: {exc}") from None
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        deps = build(settings)
        if partnership.has_people(deps):
            raise InvalidInput(
                "The database these settings name already holds a partnership; give "
                "--database-url an empty database, or use the home that set it up."
            )
        email = self.coordinator_email.strip().lower()
        partnership.add_person(
            deps, name=self.coordinator_name.strip(), email=email, roles=["coordinator"]
        )
        credentials.set_password(deps, email=email, password=self.coordinator_password)
        # Written last: a refusal above leaves no file, so running init again just works.
        target.touch(mode=0o600)
        for key, value in self.values().items():
            set_key(target, key, value, quote_mode="always")
        return target

    def _checked(self, home: Path) -> Settings:
        values = {k.removeprefix("OSCP_").lower(): v for k, v in self.values().items()}
        return load(Settings, home=home, **values)


__all__ = ["SETTINGS_FILE", "Setup"]
