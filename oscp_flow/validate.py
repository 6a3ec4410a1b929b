"""What ``oscp definitions validate`` checks: the definitions folder (its ``audit_types/`` and
``tools/``), a folder of audit types with its tools, a folder of tools, or one file of either
kind. Every problem is reported, and a folder with nothing to check is one. Nothing is stored.

An audit type's tool is looked up in the ``tools/`` folder beside its own folder, as the
engine does, or else in the configured one (``tools``), so one file checked on its own is
checked as fully as the folder it will join.
"""

from __future__ import annotations

from pathlib import Path

from states.definitions.loader import (
    definition_files,
    load_definition,
    load_directory,
    load_each_tool,
    load_tool,
)
from states.definitions.model import AuditTypeDefinition
from states.definitions.tool import ToolDefinition
from states.definitions.yaml_source import read_yaml
from states.errors import DefinitionError, Problem
from states.rules.catalogue import Catalogue

Found = tuple[list[AuditTypeDefinition], list[ToolDefinition]]

AUDIT_TYPES = "audit_types"
TOOLS = "tools"


def validate(target: Path, *, tools: Path) -> Found:
    if not target.is_dir():
        return _validate_file(target, tools)
    if (target / AUDIT_TYPES).is_dir() or (target / TOOLS).is_dir():
        types, beside = _folder(target / AUDIT_TYPES), _folder(target / TOOLS)
        asked = [types, beside]
    elif target.name == TOOLS:
        types, beside, asked = None, target, [target]
    else:
        types, beside, asked = target, _tools_beside(target, tools), [target]
    if not any(definition_files(folder) for folder in asked if folder is not None):
        raise DefinitionError(
            [Problem(str(target), "", "holds no audit type or tool definitions to check")]
        )
    return _validate_folders(types, beside)


def _folder(path: Path) -> Path | None:
    return path if path.is_dir() else None


def _validate_folders(types: Path | None, tools: Path | None) -> Found:
    """Every file in both folders, each audit type's tool looked up among the tools."""
    problems: list[Problem] = []
    found_types: list[AuditTypeDefinition] = []
    if types is not None:
        try:
            # Compiled as the engine will: what validates here starts there.
            catalogue = Catalogue(load_directory(types, tools=_tool_names(tools)))
            found_types = [catalogue.current(name).definition for name in catalogue.audit_types]
        except DefinitionError as exc:
            problems.extend(exc.problems)
    found_tools: list[ToolDefinition] = []
    if tools is not None:
        loaded = load_each_tool(tools)
        problems.extend(loaded.problems())
        found_tools = list(loaded.models.values())
    if problems:
        raise DefinitionError(problems)
    return found_types, found_tools


def _validate_file(target: Path, tools: Path) -> Found:
    if _is_tool(target):
        return [], [load_tool(target)]
    return [load_definition(target, tools=_tool_names(_tools_beside(target.parent, tools)))], []


def _tools_beside(directory: Path, configured: Path) -> Path | None:
    for folder in (directory.parent / TOOLS, configured):
        if folder.is_dir() and definition_files(folder):
            return folder
    return None


def _tool_names(tools: Path | None) -> set[str] | None:
    """Every tool file's name, broken or not: a broken tool is reported when its folder is."""
    if tools is None:
        return None
    loaded = load_each_tool(tools)
    return {*loaded.models, *loaded.refused}


def _is_tool(path: Path) -> bool:
    data = read_yaml(path).data
    return isinstance(data, dict) and "sections" in data and "states" not in data
