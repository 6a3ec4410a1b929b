"""Which definitions exist now, and the compiled machine for any version an audit started with.

New audits use the definition currently in ``definitions/``; a running audit is compiled from
the snapshot stored when it started, so editing the YAML never changes an audit in flight.
For the same reason a file that is broken now refuses only new audits of its type (with the
file's problems): running audits, and every other type, carry on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from states.definitions.graph import check_graph
from states.definitions.loader import Loaded, load_each_definition, load_each_tool
from states.definitions.model import AuditTypeDefinition
from states.definitions.tool import ToolDefinition
from states.errors import DefinitionError, Problem, UnknownAuditType
from states.rules.compiler import CompiledType, compile_definition
from states.rules.stages import declares_stages, with_inferred_stages

SnapshotReader = Callable[[str], str | None]
T = TypeVar("T")


class Catalogue:
    def __init__(
        self,
        definitions: dict[str, AuditTypeDefinition],
        tools: dict[str, ToolDefinition] | None = None,
        *,
        refused: Mapping[str, DefinitionError] | None = None,
    ) -> None:
        if tools is not None:
            _check_tools_exist(definitions, tools)
        self._current = {name: compile_definition(d) for name, d in definitions.items()}
        self._refused = dict(refused or {})
        self._by_hash = {c.content_hash: c for c in self._current.values()}
        self._tools = dict(tools or {})
        self._tools_by_hash = {t.content_hash(): t for t in self._tools.values()}
        self._lock = threading.Lock()

    @classmethod
    def from_directory(cls, directory: Path, tools: Path | None = None) -> Catalogue:
        """Audit types from ``directory``; tools from ``tools`` or the sibling ``tools/``.
        A broken file refuses its own type (or, a tool's, the types naming it) and no other."""
        tools = tools or directory.parent / "tools"
        found_tools = load_each_tool(tools) if tools.is_dir() else None
        names = None if found_tools is None else {*found_tools.models, *found_tools.refused}
        found = load_each_definition(directory, tools=names)
        usable, refused = _without_broken_tools(found, found_tools)
        return cls(usable, None if found_tools is None else found_tools.models, refused=refused)

    @property
    def refused(self) -> Mapping[str, DefinitionError]:
        """Audit types whose file (or tool's file) is broken now: none of them can start."""
        return dict(self._refused)

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

    @property
    def known_types(self) -> list[str]:
        """Every type with a file, broken ones too: their running audits and plans stand."""
        return sorted({*self._current, *self._refused})

    def check_known(self, audit_type: str) -> None:
        if audit_type not in self._current and audit_type not in self._refused:
            raise UnknownAuditType(audit_type, self.known_types)

    def current(self, audit_type: str) -> CompiledType:
        """The definition a new audit of ``audit_type`` starts with."""
        if audit_type in self._refused:
            raise DefinitionError(self._refused[audit_type].problems)
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


def _without_broken_tools(
    found: Loaded[AuditTypeDefinition], tools: Loaded[ToolDefinition] | None
) -> tuple[dict[str, AuditTypeDefinition], dict[str, DefinitionError]]:
    """A type whose tool's file is broken cannot start either: it is refused for that file."""
    refused = dict(found.refused)
    usable: dict[str, AuditTypeDefinition] = {}
    for name, definition in found.models.items():
        broken = None if tools is None else tools.refused.get(definition.tool)
        if broken is None:
            usable[name] = definition
        else:
            refused[name] = broken
    return usable, refused


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
    """A stored snapshot is re-checked: the engine's gates may have changed since it ran.
    One stored before states declared their stage gets them as the engine used to infer them."""
    model = AuditTypeDefinition.model_validate_json(text)
    if not declares_stages(text):
        model = with_inferred_stages(model)
    problems = [
        Problem(f"snapshot {content_hash[:12]}", ".".join(map(str, path)), message)
        for path, message in check_graph(model)
    ]
    if problems:
        raise DefinitionError(problems)
    return model
