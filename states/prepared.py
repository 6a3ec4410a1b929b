"""Statements compiled once per dialect and run on the driver's cursor: the hot path only.

``Connection.execute`` spends more Python per statement (cache key, execution context, events,
result wrapping) than SQLite spends running it. A ``Prepared`` statement keeps SQLAlchemy's
compiled SQL and its type processors, so what is stored and read is exactly what SQLAlchemy
would store and read; ``states.db.driver_execute`` keeps its error handling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from states.db import driver_execute

Processor = Callable[[Any], Any]
# (position, processor) for the values that need one: most columns need none, and skipping
# them keeps the per-statement Python to a list build and a loop over two or three entries.
Conversions = tuple[tuple[int, Processor], ...]


def _conversions(processors: Iterable[Processor | None]) -> Conversions:
    return tuple((index, process) for index, process in enumerate(processors) if process)


def _convert(values: list[Any], conversions: Conversions) -> list[Any]:
    for index, process in conversions:
        values[index] = process(values[index])
    return values


@dataclass(frozen=True)
class Prepared:
    """One statement compiled for one dialect, with the type processors for its values."""

    sql: str
    names: tuple[str, ...]  # parameter names, in the order a positional driver wants them
    keys: tuple[str, ...] | None  # the same as the SQL spells them, for a named paramstyle
    binds: Conversions
    results: Conversions
    returns_rows: bool

    def parameters(self, values: Mapping[str, Any]) -> list[Any] | dict[str, Any]:
        converted = _convert([values[name] for name in self.names], self.binds)
        return converted if self.keys is None else dict(zip(self.keys, converted, strict=True))

    def rows(self, raw: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
        if not self.results:
            return raw
        return [_convert(list(row), self.results) for row in raw]


def prepare(
    statement: ClauseElement, dialect: Dialect, column_keys: Sequence[str] | None = None
) -> Prepared:
    compiled = statement.compile(dialect=dialect, column_keys=list(column_keys or ()) or None)
    assert isinstance(compiled, SQLCompiler)  # a SELECT, UPDATE or INSERT always is
    names = tuple(compiled.positiontup or ()) if dialect.positional else tuple(compiled.binds)
    escaped = compiled.escaped_bind_names
    columns = getattr(statement, "selected_columns", ())
    return Prepared(
        sql=compiled.string,
        names=names,
        keys=None if dialect.positional else tuple(escaped.get(name, name) for name in names),
        binds=_conversions(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        ),
        results=_conversions(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ),
        returns_rows=bool(columns),
    )


def run(
    connection: Connection, prepared: Prepared, values: Mapping[str, Any]
) -> tuple[Sequence[Sequence[Any]], int]:
    """Rows (converted as SQLAlchemy would) and the row count of one hot-path statement."""
    sql, parameters = prepared.sql, prepared.parameters(values)
    raw, rowcount = driver_execute(connection, sql, parameters, fetch=prepared.returns_rows)
    return prepared.rows(raw), rowcount
