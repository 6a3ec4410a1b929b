"""Reading YAML that people edit, safely and with line numbers for every complaint.

``yaml.safe_load`` alone accepts duplicate keys (the last silently wins), turns ``on``/``no``
into booleans and expands alias bombs without limit. This reader refuses all three and keeps
the node tree so later checks can say which line a problem is on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from states.errors import DefinitionError, Problem

MAX_BYTES = 1_000_000
# A definition has a few hundred nodes; anything past this is an alias bomb or not a definition.
MAX_NODES = 20_000

_BOOL = "tag:yaml.org,2002:bool"


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false, so a state called 'no' stays a string."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

PathPart = str | int


@dataclass(frozen=True)
class YamlSource:
    file: str
    data: Any
    root: Node | None

    def line_of(self, path: Sequence[PathPart]) -> int | None:
        """1-based line of the deepest node along ``path`` that exists in the file."""
        node = self.root
        line = None if node is None else node.start_mark.line + 1
        for part in path:
            node = _child(node, part)
            if node is None:
                break
            line = node.start_mark.line + 1
        return line

    def problem(self, path: Sequence[PathPart], message: str) -> Problem:
        return Problem(self.file, format_path(path), message, self.line_of(path))


def format_path(path: Sequence[PathPart]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _child(node: Node | None, part: PathPart) -> Node | None:
    if isinstance(node, MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == part:
                found: Node = value
                return found
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item: Node = node.value[part]
        return item
    return None


def read_yaml(path: Path) -> YamlSource:
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DefinitionError([Problem(name, "", f"cannot be read ({exc.strerror})")]) from exc
    if size > MAX_BYTES:
        raise DefinitionError(
            [Problem(name, "", f"is {size:,} bytes, over the {MAX_BYTES:,}-byte limit")]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError([Problem(name, "", "is not UTF-8 text")]) from exc
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> YamlSource:
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise DefinitionError(
            [Problem(name, "", f"is {size:,} bytes, over the {MAX_BYTES:,}-byte limit")]
        )
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            _check_nodes(root, name)
            # Constructing flattens merge keys (<<) in place; lines are read from a pristine
            # tree so a key written in the mapping is found, not the copy merged into it.
            lines_root = yaml.compose(text, Loader=_Loader)
        data = None if root is None else loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        what = exc.problem or "is not valid YAML"
        raise DefinitionError([Problem(name, "", f"is not valid YAML: {what}", line)]) from exc
    except yaml.YAMLError as exc:
        raise DefinitionError([Problem(name, "", f"is not valid YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    return YamlSource(name, data, None if root is None else lines_root)


def _check_nodes(root: Node, name: str) -> None:
    """Refuse duplicate keys, and a tree that aliases expand past ``MAX_NODES``, before
    constructing: saying where the expansion first grows too large, so it can be found."""
    sizes = _expanded_sizes(root, name)
    if sizes[id(root)] <= MAX_NODES:
        return
    path, node = _where_it_grows_too_large(root, sizes)
    raise DefinitionError(
        [
            Problem(
                name,
                format_path(path),
                f"expands to more than {MAX_NODES:,} YAML nodes "
                "(aliases repeated too often); write the content out plainly",
                node.start_mark.line + 1,
            )
        ]
    )


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _expanded_sizes(root: Node, name: str) -> dict[int, int]:
    """How many nodes each node stands for once aliases are expanded, capped just past the
    limit. An alias is the very node it names, so each is sized once however often it is
    used; one that contains itself (a recursive alias) is sized as too large."""
    too_large = MAX_NODES + 1
    sizes: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_sized = stack.pop()
        if children_sized:
            # A child with no size yet is still being sized: an ancestor, so a loop.
            total = 1 + sum(sizes.get(id(child), too_large) for child in _children(node))
            sizes[id(node)] = min(total, too_large)
            continue
        if id(node) in entered:
            continue
        entered.add(id(node))
        if isinstance(node, MappingNode):
            _refuse_duplicate_keys(node, name)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    return sizes


def _where_it_grows_too_large(root: Node, sizes: dict[int, int]) -> tuple[list[PathPart], Node]:
    """The first node, in the file's order, that is too large while none of its parts is."""
    path: list[PathPart] = []
    node = root
    seen = {id(root)}
    while True:
        step = _first_too_large_part(node, sizes)
        if step is None or id(step[1]) in seen:
            return path, node
        part, node = step
        seen.add(id(node))
        if part is None:  # a key too large to name: report the key itself
            return path, node
        path.append(part)


def _first_too_large_part(node: Node, sizes: dict[int, int]) -> tuple[PathPart | None, Node] | None:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if sizes[id(key)] > MAX_NODES:
                return None, key
            if sizes[id(value)] > MAX_NODES:
                return (key.value if isinstance(key, ScalarNode) else None), value
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            if sizes[id(item)] > MAX_NODES:
                return index, item
    return None


def _refuse_duplicate_keys(node: MappingNode, name: str) -> None:
    seen: set[str] = set()
    for key, _ in node.value:
        if not isinstance(key, ScalarNode):
            continue
        if key.value in seen:
            line = key.start_mark.line + 1
            raise DefinitionError(
                [Problem(name, "", f"repeats the key '{key.value}' in one mapping", line)]
            )
        seen.add(key.value)
