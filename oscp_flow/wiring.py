"""Builds the engine's dependencies from settings: the one place real parts are chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from oscp_flow.settings import Settings
from states.clock import Clock, SystemClock
from states.persistence.db import make_engine
from states.persistence.migrate import upgrade
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services.deps import Deps

if TYPE_CHECKING:
    from notifications.smtp import SmtpMailer
    from workflows.runtime import CalendarPeople, Runtime


def database(settings: Settings) -> Engine:
    url = settings.resolved_database_url
    if make_url(url).get_backend_name() == "sqlite":
        # 0700 even where no `oscp` command set the umask (see oscp_flow.home).
        settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)
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


def mailer(settings: Settings) -> SmtpMailer:
    """The SMTP mailer the settings describe (the local capture unless configured)."""
    from notifications.smtp import SmtpMailer

    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        timeout=settings.smtp_timeout,
        tls=settings.smtp_tls,
        username=settings.smtp_username,
        password=settings.smtp_password,
        ca_file=settings.smtp_ca_file,
    )


def calendar_people(settings: Settings) -> CalendarPeople | None:
    """Who starts the calendar work and who writes it; unset, nobody does it unasked."""
    from workflows.runtime import CalendarPeople

    if settings.calendar_coordinator and settings.calendar_lead:
        return CalendarPeople(settings.calendar_coordinator, settings.calendar_lead)
    return None


def flow_runtime() -> Runtime:
    """What the Prefect flows run against, from settings: named in ``OSCP_FLOW_RUNTIME`` by
    every process that serves or works the flows (see ``oscp_flow.prefect_env``)."""
    from workflows.runtime import Runtime

    settings = Settings()
    return Runtime(
        deps=build(settings),
        mailer=mailer(settings),
        relay_config=settings,
        operator=settings.prefect_operator,
        calendar=calendar_people(settings),
    )
