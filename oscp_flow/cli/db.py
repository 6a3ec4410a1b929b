"""``oscp db``: look after the engine's database."""

from __future__ import annotations

from oscp_flow.cli.common import db_app, out, plain_errors


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    from oscp_flow.settings import Settings
    from oscp_flow.wiring import database

    with plain_errors():
        settings = Settings()
        database(settings)
    out.print("The database schema is up to date.")
