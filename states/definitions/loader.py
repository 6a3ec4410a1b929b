"""Read → validate shape → check graph → neutral model; a bad file stops here, whole.

Every problem names the file, the path inside it, the line where YAML gives one, and says in
a plain sentence what is wrong. Nothing is stored by loading.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from states.definitions.dissemination_checks import check_declared
from states.definitions.graph import check_graph
from states.definitions.model import SCHEMA_VERSION, AuditTypeDefinition
from states.definitions.tool import ToolDefinition
from states.definitions.tool_checks import check_tool
from states.definitions.yaml_source import PathPart, YamlSource, parse_yaml, read_yaml
from states.errors import DefinitionError, Problem

M = TypeVar("M", bound=BaseModel)
Checker = Callable[[M], list[tuple[tuple[PathPart, ...], str]]]

DEFINITION_SUFFIXES = (".yaml", ".yml")


def load_definition(path: Path, *, tools: Collection[str] | None = None) -> AuditTypeDefinition:
    """One audit type; with ``tools`` (the names of the tools there are), its tool must be one."""
    source = read_yaml(path)
    model = validate_source(source, tools=tools)
    _check_named_after_file(source, "audit_type", model.audit_type, path)
    return model


def load_tool(path: Path) -> ToolDefinition:
    source = read_yaml(path)
    model = _validated(source, ToolDefinition, check_tool)
    _check_named_after_file(source, "tool", model.tool, path)
    return model


def load_tool_text(text: str, name: str) -> ToolDefinition:
    return _validated(parse_yaml(text, name), ToolDefinition, check_tool)


def _check_named_after_file(source: YamlSource, key: str, name: str, path: Path) -> None:
    if name != path.stem:
        raise DefinitionError([source.problem((key,), f"must match the file name '{path.stem}'")])


def load_text(text: str, name: str) -> AuditTypeDefinition:
    """For definitions that arrive as text (snapshots, uploads, tests)."""
    return validate_source(parse_yaml(text, name))


def validate_source(
    source: YamlSource, *, tools: Collection[str] | None = None
) -> AuditTypeDefinition:
    def check(model: AuditTypeDefinition) -> list[tuple[tuple[PathPart, ...], str]]:
        # What a type shares is asked of files, not of the definitions audits started with.
        return [*check_graph(model), *check_declared(model), *_check_tool_known(model, tools)]

    return _validated(source, AuditTypeDefinition, check)


def _check_tool_known(
    model: AuditTypeDefinition, tools: Collection[str] | None
) -> list[tuple[tuple[PathPart, ...], str]]:
    if tools is None or model.tool in tools:
        return []
    known = ", ".join(sorted(tools)) or "none"
    return [(("tool",), f"names the tool '{model.tool}', which is not a known tool ({known})")]


def _validated(source: YamlSource, model_class: type[M], check: Checker[M]) -> M:
    data = source.data
    if not isinstance(data, dict):
        raise DefinitionError([Problem(source.file, "", "must be a mapping of keys to values")])
    _check_schema_version(source, data)
    try:
        model = model_class.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(_validation_problems(source, exc)) from exc
    problems = [source.problem(path, message) for path, message in check(model)]
    if problems:
        raise DefinitionError(problems)
    return model


def _check_schema_version(source: YamlSource, data: dict[Any, Any]) -> None:
    version = data.get("schema_version")
    if version is None:
        raise DefinitionError([source.problem((), "schema_version is missing (use 1)")])
    if type(version) is not int or version != SCHEMA_VERSION:
        raise DefinitionError(
            [
                source.problem(
                    ("schema_version",),
                    f"schema_version {version!r} is not "
                    f"supported; this engine reads version {SCHEMA_VERSION}",
                )
            ]
        )


# Errors that only say "this was not the branch's type": least helpful when a union failed.
_GENERIC = ("literal_error", "string_type", "list_type", "dict_type", "model_type")


def _validation_problems(source: YamlSource, exc: ValidationError) -> list[Problem]:
    """One problem per place: a union reports every branch it tried, which helps nobody.

    For each place the most specific complaint wins: an error inside a list beats the union's
    "not a list" at the list itself, and a naming rule beats "should be '*'".
    """
    errors = [(tuple(p for p in err["loc"] if not _is_branch_tag(p)), err) for err in exc.errors()]
    deeper = {path[:n] for path, _ in errors for n in range(len(path))}
    by_path: dict[tuple[str | int, ...], Any] = {}
    for path, err in errors:
        if path in deeper and err["type"] in _GENERIC:
            continue
        if path not in by_path or by_path[path]["type"] in _GENERIC:
            by_path[path] = err
    return [source.problem(path, _plain(err)) for path, err in by_path.items()]


def _is_branch_tag(part: str | int) -> bool:
    return isinstance(part, str) and any(c in part for c in "[-'")


def _plain(err: Any) -> str:
    """Pydantic's messages, reworded for someone editing YAML rather than Python."""
    kind = err["type"]
    loc = err["loc"]
    key = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        return f"unknown key '{key}'; remove it or check its spelling"
    if kind == "missing":
        return f"required key '{key}' is missing"
    if kind == "string_pattern_mismatch":
        return "names use lower-case letters, digits and underscores, starting with a letter"
    if kind == "too_short":
        return _too_short(str(key), int(err["ctx"]["min_length"]))
    if kind == "value_error":
        return str(err["ctx"]["error"])
    if kind == "enum":
        return f"'{err['input']}' is not one of the values allowed here: {err['ctx']['expected']}"
    message = str(err["msg"])
    return message[0].lower() + message[1:] if message else message


# What owns each list, and what one entry is called, for "a tool needs at least one section".
_LISTS = {
    "sections": ("a tool", "section"),
    "questions": ("a section", "question"),
    "grades": ("a scale", "grade"),
    "states": ("a definition", "state"),
    "transitions": ("a definition", "transition"),
    "roles": ("this", "role"),
    "remind": ("a reminder ladder", "role to remind"),
    "notify": ("this", "role to notify"),
}
_COUNTS = {1: "one", 2: "two", 3: "three"}


def _too_short(key: str, minimum: int) -> str:
    owner, entry = _LISTS.get(key, ("this list", "entry"))
    plural = "s" if minimum != 1 else ""
    return f"{owner} needs at least {_COUNTS.get(minimum, str(minimum))} {entry}{plural}"


def definition_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in DEFINITION_SUFFIXES)


@dataclass(frozen=True)
class Loaded(Generic[M]):
    """A folder's files, each loaded or refused on its own."""

    models: dict[str, M]
    # By file name without suffix: the name a file must declare, so a refused one is still
    # known by the name it was meant to have.
    refused: dict[str, DefinitionError]

    def problems(self) -> list[Problem]:
        return [problem for error in self.refused.values() for problem in error.problems]


def load_directory(
    directory: Path, *, tools: Collection[str] | None = None
) -> dict[str, AuditTypeDefinition]:
    """Load every audit type; all files' problems are reported together."""
    return _all_or_none(load_each_definition(directory, tools=tools))


def load_tool_directory(directory: Path) -> dict[str, ToolDefinition]:
    """Load every audit tool; all files' problems are reported together."""
    return _all_or_none(load_each_tool(directory))


def load_each_definition(
    directory: Path, *, tools: Collection[str] | None = None
) -> Loaded[AuditTypeDefinition]:
    return _load_each(directory, lambda p: load_definition(p, tools=tools), lambda m: m.audit_type)


def load_each_tool(directory: Path) -> Loaded[ToolDefinition]:
    return _load_each(directory, load_tool, lambda m: m.tool)


def _all_or_none(loaded: Loaded[M]) -> dict[str, M]:
    if loaded.refused:
        raise DefinitionError(loaded.problems())
    return loaded.models


def _load_each(
    directory: Path, load: Callable[[Path], M], name_of: Callable[[M], str]
) -> Loaded[M]:
    if not directory.is_dir():
        raise DefinitionError([Problem(str(directory), "", "is not a folder of definitions")])
    loaded: dict[str, M] = {}
    refused: dict[str, DefinitionError] = {}
    for path in definition_files(directory):
        try:
            model = load(path)
        except DefinitionError as exc:
            refused[path.stem] = exc
            continue
        loaded[name_of(model)] = model
    return Loaded(loaded, refused)
