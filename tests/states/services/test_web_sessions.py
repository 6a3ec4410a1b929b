"""The session check every page request makes (``web_sessions.viewer``), on both stores: it
reads, and writes ``last_seen_at`` only once that reading is ``SEEN_EVERY`` old; an ended
session is refused at the next request however fresh its reading."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from states.clock import FakeClock, as_utc
from states.persistence import tables as t
from states.persistence.uow import UnitOfWork, UnitOfWorkFactory
from states.services import web_sessions
from states.services.deps import Deps
from tests.oscp_flow.web.support import person


class CountingFactory(UnitOfWorkFactory):
    """The engine's units, counting the ones that may write."""

    writes = 0

    def __call__(self, *, readonly: bool = False) -> UnitOfWork:
        if not readonly:
            self.writes += 1
        return super().__call__(readonly=readonly)


@pytest.fixture
def counted(partnership: Deps) -> tuple[Deps, CountingFactory]:
    factory = CountingFactory(partnership.uow.engine)
    return replace(partnership, uow=factory), factory


def _last_seen(deps: Deps, session_id: str) -> datetime:
    s = t.web_session
    with deps.uow(readonly=True) as uow:
        seen = uow.connection.execute(
            select(s.c.last_seen_at).where(s.c.token_hash == web_sessions.digest(session_id))
        ).scalar_one()
    return as_utc(seen)


def _start(deps: Deps) -> str:
    return web_sessions.start(
        deps, person_id=person(deps, "coordinator"), lifetime=timedelta(hours=8)
    )


def test_a_page_view_soon_after_the_last_writes_nothing(
    counted: tuple[Deps, CountingFactory],
) -> None:
    deps, factory = counted
    session_id = _start(deps)
    started = _last_seen(deps, session_id)
    assert isinstance(deps.clock, FakeClock)
    deps.clock.advance(web_sessions.SEEN_EVERY - timedelta(seconds=1))
    writes = factory.writes
    for _ in range(3):
        assert web_sessions.viewer(deps, session_id=session_id) is not None
    assert factory.writes == writes
    assert _last_seen(deps, session_id) == started


def test_a_stale_reading_is_written_once(counted: tuple[Deps, CountingFactory]) -> None:
    deps, factory = counted
    session_id = _start(deps)
    assert isinstance(deps.clock, FakeClock)
    deps.clock.advance(web_sessions.SEEN_EVERY + timedelta(seconds=1))
    writes = factory.writes
    assert web_sessions.viewer(deps, session_id=session_id) is not None
    assert web_sessions.viewer(deps, session_id=session_id) is not None
    assert factory.writes == writes + 1
    assert _last_seen(deps, session_id) == deps.clock.now()


def test_an_ended_session_is_refused_at_once_however_fresh(
    counted: tuple[Deps, CountingFactory],
) -> None:
    deps, _ = counted
    session_id = _start(deps)
    assert web_sessions.viewer(deps, session_id=session_id) is not None
    web_sessions.end_sessions(deps, person_id=person(deps, "coordinator"), why="deactivated")
    assert web_sessions.viewer(deps, session_id=session_id) is None
