"""What ``oscp definitions validate`` checks: a folder of audit types with its tools, a folder
of tools, or one file of either kind. Nothing is stored."""

from __future__ import annotations

from pathlib import Path

from states.definitions.loader import load_definition, load_tool, load_tool_directory
from states.definitions.model import AuditTypeDefinition
from states.definitions.tool import ToolDefinition
from states.definitions.yaml_source import read_yaml
from states.rules.catalogue import Catalogue

Found = tuple[list[AuditTypeDefinition], list[ToolDefinition]]


def validate(target: Path) -> Found:
    if target.is_dir():
        if target.name == "tools":
            return [], list(load_tool_directory(target).values())
        catalogue = Catalogue.from_directory(target)
        types = [catalogue.current(name).definition for name in catalogue.audit_types]
        tools = [tool for name in catalogue.audit_types if (tool := catalogue.tool(name))]
        return types, list({tool.tool: tool for tool in tools}.values())
    if _is_tool(target):
        return [], [load_tool(target)]
    return [load_definition(target)], []


def _is_tool(path: Path) -> bool:
    data = read_yaml(path).data
    return isinstance(data, dict) and "sections" in data and "states" not in data
