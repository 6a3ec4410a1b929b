"""Builds the engine's dependencies from settings: the one place real parts are chosen."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from oscp_flow.settings import Settings
from states.catalogue import Catalogue
from states.clock import Clock, SystemClock
from states.db import make_engine
from states.migrate import upgrade
from states.services.deps import Deps
from states.uow import UnitOfWorkFactory


def database(settings: Settings) -> Engine:
    url = settings.resolved_database_url
    if make_url(url).get_backend_name() == "sqlite":
        settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    upgrade(engine)
    return engine


def build(settings: Settings | None = None, clock: Clock | None = None) -> Deps:
    settings = settings or Settings()
    return Deps(
        uow=UnitOfWorkFactory(database(settings)),
        catalogue=Catalogue.from_directory(settings.definitions),
        clock=clock or SystemClock(),
    )
