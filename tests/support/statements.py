"""What a piece of work costs the store, counted through SQLAlchemy's own events: the units of
work (connections taken) and the statements sent while a block runs. Tests of cost count
these rather than time, so they hold on a busy machine and fail when the work grows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event

from states.services.deps import Deps


@dataclass
class Work:
    units: int = 0
    statements: int = 0


@contextmanager
def counted(deps: Deps) -> Iterator[Work]:
    """Units of work begun and statements sent while the block runs (BEGIN is not counted:
    SQLite's deferred readers send it as a statement, writers and PostgreSQL do not)."""
    engine = deps.uow.engine
    work = Work()

    def connected(*_: Any) -> None:
        work.units += 1

    def sent(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.strip().upper() != "BEGIN":
            work.statements += 1

    event.listen(engine, "engine_connect", connected)
    event.listen(engine, "before_cursor_execute", sent)
    try:
        yield work
    finally:
        event.remove(engine, "before_cursor_execute", sent)
        event.remove(engine, "engine_connect", connected)
