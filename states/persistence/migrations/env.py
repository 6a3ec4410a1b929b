"""Alembic environment: runs on the connection the engine hands over
(see ``states.persistence.migrate``)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import states.persistence.calendar_records  # (and the deadlines' calendar entries)
import states.persistence.meeting_records  # (and the audit meetings' tables)
import states.persistence.records  # noqa: F401  (registers the tables on SQLModel.metadata)
from states.persistence import sign_in_attempts  # noqa: F401  (registers its table too)
from states.persistence.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = os.environ.get("OSCP_DATABASE_URL", "sqlite:///var/oscp.db")
    with make_engine(url).connect() as conn:
        _run(conn)
