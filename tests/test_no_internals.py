"""The project uses its libraries as designed: no private attribute of another object, so an
upgrade of SQLAlchemy, Prefect or any other library cannot silently change what the code does.

Names are read from the syntax tree, not the types, so the rule is broad: outside ``self`` and
``cls``, no ``obj._name`` and no ``getattr(obj, "_name")``. The project's own code keeps to it
too, since a private name is private to its module. The few names below are libraries' public
API that happens to begin with an underscore.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("states", "notifications", "workflows", "oscp_flow", "bench")
# SQLAlchemy's ``Row`` spells its own API with a leading underscore so that no column name
# can shadow it (as namedtuple does with ``_replace`` and ``_make``).
PUBLIC_UNDERSCORED = {"_mapping", "_asdict", "_fields", "_tuple", "_t", "_replace", "_make"}
# Internals once used here, named so that a search for them finds this test.
ONCE_USED = ("_handle_dbapi_exception", "_parameter_openapi_schema")
# Modules of libraries whose contents their authors call internal (SQLAlchemy documents the
# compiler for writing dialects and constructs, not for reading a statement's parts).
INTERNAL_MODULES = ("sqlalchemy.sql.compiler",)
ACCESSORS = {"getattr", "setattr", "hasattr", "delattr"}


def _sources() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in PUBLIC_UNDERSCORED


def _owner_is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def _private_accesses(tree: ast.AST) -> Iterator[ast.AST]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if _private(node.attr) and not _owner_is_self(node.value):
                yield node
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ACCESSORS
            and len(node.args) >= 2
            and isinstance(name := node.args[1], ast.Constant)
            and isinstance(name.value, str)
            and _private(name.value)
            and not _owner_is_self(node.args[0])
        ):
            yield node


def _internal_imports(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        else:
            continue
        for module in modules:
            if any(module == bad or module.startswith(f"{bad}.") for bad in INTERNAL_MODULES):
                yield module


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}: {ast.unparse(node)}"


def test_no_private_attribute_of_another_object() -> None:
    offenders = [
        _where(path, node)
        for path in _sources()
        for node in _private_accesses(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def test_no_internal_once_used_comes_back() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in _sources()
        for name in ONCE_USED
        if name in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_no_import_of_a_library_module_its_authors_call_internal() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in _sources()
        for module in _internal_imports(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def test_the_scan_finds_what_it_forbids() -> None:
    """The rules catch the forms the internals took before, and let the public forms pass."""
    caught = """
connection._handle_dbapi_exception(exc, sql, parameters, cursor, None)
schema = deployment._parameter_openapi_schema
token = getattr(request, "_form")
"""
    allowed = """
self._protect = protect
row._mapping["id"]
described.__dict__["__signature__"] = signature
"""
    assert len(list(_private_accesses(ast.parse(caught)))) == 3
    assert list(_private_accesses(ast.parse(allowed))) == []
    imports = "from sqlalchemy.sql.compiler import SQLCompiler\nfrom sqlalchemy import select\n"
    assert list(_internal_imports(ast.parse(imports))) == ["sqlalchemy.sql.compiler"]
