"""Which definitions exist now, and the compiled machine for any version an audit started with.

New audits use the definition currently in ``definitions/``; a running audit is compiled from
the snapshot stored when it started, so editing the YAML never changes an audit in flight.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from states.definitions.graph import check_graph
from states.definitions.loader import load_directory, load_tool_directory
from states.definitions.model import AuditTypeDefinition
from states.definitions.tool import ToolDefinition
from states.errors import DefinitionError, Problem, UnknownAuditType
from states.rules.compiler import CompiledType, compile_definition

SnapshotReader = Callable[[str], str | None]
T = TypeVar("T")


class Catalogue:
    def __init__(
        self,
        definitions: dict[str, AuditTypeDefinition],
        tools: dict[str, ToolDefinition] | None = None,
    ) -> None:
        if tools is not None:
            _check_tools_exist(definitions, tools)
        self._current = {name: compile_definition(d) for name, d in definitions.items()}
        self._by_hash = {c.content_hash: c for c in self._current.values()}
        self._tools = dict(tools or {})
        self._tools_by_hash = {t.content_hash(): t for t in self._tools.values()}
        self._lock = threading.Lock()

    @classmethod
    def from_directory(cls, directory: Path, tools: Path | None = None) -> Catalogue:
        """Audit types from ``directory``; tools from ``tools`` or the sibling ``tools/``."""
        tools = tools or directory.parent / "tools"
        return cls(
            load_directory(directory), load_tool_directory(tools) if tools.is_dir() else None
        )

    def tool(self, audit_type: str) -> ToolDefinition | None:
        """The current tool an audit type names (None when no tools are loaded)."""
        return self._tools.get(self.current(audit_type).definition.tool)

    def tool_by_hash(self, content_hash: str, read_snapshot: SnapshotReader) -> ToolDefinition:
        return self._cached(
            self._tools_by_hash,
            content_hash,
            read_snapshot,
            "tool snapshot",
            ToolDefinition.model_validate_json,
        )

    def _cached(
        self,
        cache: dict[str, T],
        content_hash: str,
        read_snapshot: SnapshotReader,
        what: str,
        build: Callable[[str], T],
    ) -> T:
        """From the cache, or built once from the snapshot stored when an audit started."""
        with self._lock:
            found = cache.get(content_hash)
        if found is not None:
            return found
        text = read_snapshot(content_hash)
        if text is None:
            raise DefinitionError(
                [Problem(f"{what} {content_hash[:12]}", "", "is missing from the database")]
            )
        built = build(text)
        with self._lock:
            return cache.setdefault(content_hash, built)

    @property
    def audit_types(self) -> list[str]:
        return sorted(self._current)

    def current(self, audit_type: str) -> CompiledType:
        try:
            return self._current[audit_type]
        except KeyError:
            raise UnknownAuditType(audit_type, self.audit_types) from None

    def by_hash(self, content_hash: str, read_snapshot: SnapshotReader) -> CompiledType:
        return self._cached(
            self._by_hash,
            content_hash,
            read_snapshot,
            "snapshot",
            lambda text: compile_definition(_revalidate(content_hash, text)),
        )


def _check_tools_exist(
    definitions: dict[str, AuditTypeDefinition], tools: dict[str, ToolDefinition]
) -> None:
    problems = [
        Problem(
            f"{name}.yaml", "tool", f"names the tool '{d.tool}', which is not in the tools folder"
        )
        for name, d in sorted(definitions.items())
        if d.tool not in tools
    ]
    if problems:
        raise DefinitionError(problems)


def _revalidate(content_hash: str, text: str) -> AuditTypeDefinition:
    """A stored snapshot is re-checked: the engine's gates may have changed since it ran."""
    model = AuditTypeDefinition.model_validate_json(text)
    problems = [
        Problem(f"snapshot {content_hash[:12]}", ".".join(map(str, path)), message)
        for path, message in check_graph(model)
    ]
    if problems:
        raise DefinitionError(problems)
    return model
