"""The journeys go only where people go: the ``oscp`` command and e-mailed links.

Every module of the journeys, ``tests/support/journey.py`` and each project module they import
from ``tests`` (followed all the way down) is read as a syntax tree; none may import the
walkthrough or the demo (``oscp_flow.rehearsal``), the tests' service-level driver
(``tests.support.driver``), or the engine's internals (``states.services``,
``states.persistence``), whether by ``import``, ``from ... import``, under ``TYPE_CHECKING``
or through ``importlib``. A helper that reaches the engine (``tests.support.terms`` does) is
refused for what it imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.support.paths import ROOT

FORBIDDEN = (
    "oscp_flow.rehearsal",
    "tests.support.driver",
    "states.services",
    "states.persistence",
)
JOURNEYS = ROOT / "tests" / "oscp_flow" / "journeys"
ENTRY = [*sorted(JOURNEYS.glob("*.py")), ROOT / "tests" / "support" / "journey.py"]
DYNAMIC = {"import_module", "__import__"}


def imported(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every module the source names for import, with its line: ``from a import b`` names
    ``a`` and ``a.b`` (``b`` may be a module)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            yield from ((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Call) and _called(node.func) in DYNAMIC and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value


def _called(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def forbidden(module: str) -> bool:
    return any(module == bad or module.startswith(f"{bad}.") for bad in FORBIDDEN)


def _project_file(module: str) -> Path | None:
    """The source of a module of the tests, to follow into; ``None`` for anything else."""
    if not module.startswith("tests."):
        return None
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def offences(source: str, where: str, seen: set[Path] | None = None) -> list[str]:
    """Each forbidden import of ``source``, and of the test modules it imports, as
    ``where:line: module``."""
    seen = set() if seen is None else seen
    found = []
    for line, module in imported(ast.parse(source)):
        if forbidden(module):
            found.append(f"{where}:{line}: {module}")
            continue
        followed = _project_file(module)
        if followed is not None and followed not in seen:
            seen.add(followed)
            inner = offences(followed.read_text(), str(followed.relative_to(ROOT)), seen)
            found += [f"{where}:{line}: {module} -> {offence}" for offence in inner]
    return found


def test_the_journeys_import_nothing_but_supported_paths() -> None:
    assert len(ENTRY) > 12, ENTRY  # the eleven journeys, their steps and helpers
    seen: set[Path] = set()
    found = [o for path in ENTRY for o in offences(path.read_text(), path.name, seen)]
    assert not found, "\n".join(found)


def test_the_guard_catches_each_way_in() -> None:
    sources = {
        "import oscp_flow.rehearsal.walkthrough": "oscp_flow.rehearsal.walkthrough",
        "from oscp_flow.rehearsal.walkthrough import Walker": "oscp_flow.rehearsal.walkthrough",
        "from oscp_flow import rehearsal": "oscp_flow.rehearsal",
        "from tests.support import driver": "tests.support.driver",
        "from tests.support.driver import advance": "tests.support.driver",
        "from states.services import audits": "states.services",
        "import states.persistence.tables as t": "states.persistence.tables",
        "from states import persistence": "states.persistence",
        "if TYPE_CHECKING:\n    from states.services.deps import Deps": "states.services.deps",
        "import importlib\nimportlib.import_module('states.services.work')": "states.services.work",
        "__import__('oscp_flow.rehearsal.demo')": "oscp_flow.rehearsal.demo",
        # Through a helper of the tests that reaches the engine itself.
        "from tests.support.terms import TERMS": "states.services",
    }
    for source, module in sources.items():
        found = offences(source, "synthetic.py")
        assert found and module in found[0], (source, found)


def test_the_guard_lets_supported_paths_through() -> None:
    allowed = (
        "from oscp_flow.cli import app\n"
        "from oscp_flow.web import create_app\n"
        "from states.clock import SystemClock\n"
        "from states.rules.directory import Directory\n"
        "from tests.support.smtp import Recorder\n"
    )
    assert offences(allowed, "synthetic.py") == []
