"""The architecture as a test: imports point one way, and only the clock reads the time."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# package -> top-level modules it must never import
FORBIDDEN = {
    "states": {
        "prefect",
        "fastapi",
        "starlette",
        "smtplib",
        "aiosmtpd",
        "jinja2",
        "apscheduler",
        "notifications",
        "workflows",
        "oscp_flow",
        "typer",
        "rich",
    },
    "notifications": {"prefect", "fastapi", "workflows", "oscp_flow"},
    "workflows": {"fastapi", "oscp_flow"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_down_the_layers(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_clock_reads_the_time() -> None:
    pattern = re.compile(r"datetime\.(now|utcnow|today)\(|date\.today\(|time\.time\(")
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("states", "notifications", "workflows", "oscp_flow")
        for path in (ROOT / package).rglob("*.py")
        if path.name != "clock.py" and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def _full_imports(path: Path) -> set[str]:
    """Every module ``path`` imports, by its full dotted name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_test_module_imports_another() -> None:
    """Shared helpers live in ``tests/support/`` (or a conftest), so running, moving or
    deleting one test module never changes another."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in _full_imports(path)
            if name.startswith("tests.") and name.split(".")[-1].startswith("test_")
        )
        for path in (ROOT / "tests").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


# The engine's own layers, bottom up: each imports only the kernel and the layers below it.
ENGINE_LAYERS = ("definitions", "rules", "persistence", "services")
KERNEL = {"states.errors", "states.clock"}
# Definitions and rules say what an audit is and may do; how it is stored is another layer's.
PURE_LAYERS = {"definitions", "rules"}
STORAGE_LIBRARIES = {"sqlalchemy", "sqlmodel", "alembic", "psycopg", "sqlite3"}


def _engine_imports(path: Path) -> set[str]:
    return {name for name in _full_imports(path) if name.startswith("states.")}


@pytest.mark.parametrize("layer", ENGINE_LAYERS)
def test_engine_layers_import_only_downwards(layer: str) -> None:
    allowed = {f"states.{below}" for below in ENGINE_LAYERS[: ENGINE_LAYERS.index(layer) + 1]}
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in _engine_imports(path)
            if not any(name == a or name.startswith(f"{a}.") for a in KERNEL | allowed)
        )
        for path in (ROOT / "states" / layer).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("layer", sorted(PURE_LAYERS))
def test_definitions_and_rules_hold_no_sql(layer: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & STORAGE_LIBRARIES)
        for path in (ROOT / "states" / layer).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_engine_has_no_loose_modules() -> None:
    """Every engine module lives in its layer; only the kernel sits at the top of states/."""
    loose = sorted(p.name for p in (ROOT / "states").glob("*.py"))
    assert loose == ["__init__.py", "clock.py", "errors.py"]


def test_the_kernel_imports_no_layer() -> None:
    for name in ("errors.py", "clock.py"):
        assert _engine_imports(ROOT / "states" / name) == set()
