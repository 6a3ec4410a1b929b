"""Moving a test's database to a given migration, up or down, as ``oscp db`` would."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine

from states.persistence.migrate import alembic_config


def migrate_to(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)
