"""Where the database time goes: each SQL statement's count and total time over a run, through
SQLAlchemy's own cursor events, so a statement whose cost follows what exists (a scan) shows
at the top of a larger run and not of a smaller one."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

STARTED = "bench_statement_started"


@dataclass
class Statements:
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))

    def watch(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info.setdefault(STARTED, []).append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started = conn.info[STARTED].pop()
        key = " ".join(statement.split())[:400]
        self.seconds[key] += time.perf_counter() - started
        self.calls[key] += 1

    def top(self, n: int = 15) -> list[tuple[float, int, str]]:
        ranked = sorted(self.seconds.items(), key=lambda kv: -kv[1])[:n]
        return [(seconds, self.calls[key], key) for key, seconds in ranked]
