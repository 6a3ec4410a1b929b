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


# The demonstration: its people and agencies, the walker that plays every part, the showcase
# audits and the preview. Only the tests of oscp_flow (the demo, its commands, the rehearsal)
# may use them; engine tests seed tests.support.partnership and move audits on with
# tests.support.driver, so a change to the demo never changes what an engine test proves.
REHEARSAL = (
    "oscp_flow.rehearsal.demo",
    "oscp_flow.rehearsal.walkthrough",
    "oscp_flow.rehearsal.showcase",
    "oscp_flow.rehearsal.preview",
)


def _rehearsal_imports(path: Path) -> list[str]:
    return sorted(
        name
        for name in _full_imports(path)
        if any(name == r or name.startswith(f"{r}.") for r in REHEARSAL)
    )


def test_only_the_entry_points_tests_use_the_demo() -> None:
    # Named by file, so that moving them (into one rehearsal package) fails here first.
    assert [r for r in REHEARSAL if not (ROOT / f"{r.replace('.', '/')}.py").is_file()] == []
    tests = ROOT / "tests"
    found = {path: _rehearsal_imports(path) for path in tests.rglob("*.py")}
    offenders = {
        str(path.relative_to(ROOT)): names
        for path, names in found.items()
        if names and not path.is_relative_to(tests / "oscp_flow")
    }
    assert offenders == {}
    # The check sees an import where there is one: the walkthrough's own tests use it.
    assert "oscp_flow.rehearsal.walkthrough" in found[tests / "oscp_flow" / "test_walkthrough.py"]


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


# The entry points run no SQL of their own: they parse, call a service, show the answer. These
# modules may still import a storage library, each for its reason.
ENTRY_POINTS_WITH_STORAGE = {
    # Choosing the database from settings and creating its engine is wiring's one job.
    "oscp_flow/wiring.py": "creates the engine the settings name",
    # The rehearsal seeds and walks a throw-away engine of its own making.
    "oscp_flow/rehearsal/demo.py": "seeds the demonstration partnership",
    "oscp_flow/rehearsal/walkthrough.py": "walks an audit through every gate for the demo",
}


def test_entry_points_hold_no_sql() -> None:
    assert [p for p in ENTRY_POINTS_WITH_STORAGE if not (ROOT / p).is_file()] == []
    offenders = {
        name: sorted(_imports(path) & STORAGE_LIBRARIES)
        for path in (ROOT / "oscp_flow").rglob("*.py")
        if (name := str(path.relative_to(ROOT))) not in ENTRY_POINTS_WITH_STORAGE
    }
    assert {k: v for k, v in offenders.items() if v} == {}


# The fast tier (`make test-fast`): pure definitions and rules, which need no database, no
# service and no browser. What it runs is the Makefile's FAST_TESTS, so this checks exactly that.
NOT_IN_THE_FAST_TIER = ("states.persistence", "states.services", "sqlalchemy", "oscp_flow")
DATABASE_FIXTURES = {"engine", "deps", "partnership", "sqlite_engine", "postgres_engine"}


def fast_tier() -> list[Path]:
    (line,) = [
        line
        for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
        if line.startswith("FAST_TESTS :=")
    ]
    named = [ROOT / part for part in line.partition(":=")[2].split()]
    return sorted(p for n in named for p in ([n] if n.is_file() else n.rglob("test_*.py")))


def _imported_by(path: Path, seen: set[Path]) -> set[str]:
    """What ``path`` imports, and what the test helpers it imports import, and so on."""
    names = _full_imports(path)
    for name in sorted(names):
        helper = ROOT / f"{name.replace('.', '/')}.py"
        if name.startswith("tests.") and helper.is_file() and helper not in seen:
            seen.add(helper)
            names |= _imported_by(helper, seen)
    return names


def _parameters(tree: ast.AST) -> dict[str, set[str]]:
    """Each function's name and the names of its parameters (a fixture's are fixtures)."""
    return {
        node.name: {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def database_fixtures() -> set[str]:
    """The database fixtures, and every conftest fixture that asks for one, however deep."""
    fixtures: dict[str, set[str]] = {}
    for conftest in (ROOT / "tests").rglob("conftest.py"):
        fixtures |= _parameters(ast.parse(conftest.read_text(encoding="utf-8")))
    found = set(DATABASE_FIXTURES)
    while grown := {name for name, asks in fixtures.items() if asks & found} - found:
        found |= grown
    return found


def _impurities(path: Path, database: set[str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = _imported_by(path, set())
    bad = {
        n for n in imported if any(n == f or n.startswith(f"{f}.") for f in NOT_IN_THE_FAST_TIER)
    }
    used = {asked for asks in _parameters(tree).values() for asked in asks & database}
    used |= {  # @pytest.mark.usefixtures("engine"), request.getfixturevalue("engine")
        arg.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("usefixtures", "getfixturevalue")
        for arg in node.args
        if isinstance(arg, ast.Constant) and arg.value in database
    }
    return sorted(bad) + [f"fixture {name}" for name in sorted(used)]


def test_the_fast_tier_needs_no_database() -> None:
    tests = fast_tier()
    assert ROOT / "tests" / "test_layers.py" in tests
    assert any(p.is_relative_to(ROOT / "tests/states/rules") for p in tests)
    database = database_fixtures()
    offenders = {str(p.relative_to(ROOT)): _impurities(p, database) for p in tests}
    assert {k: v for k, v in offenders.items() if v} == {}
    # The check sees what is there: a persistence test imports SQLAlchemy and uses a database.
    seen = _impurities(ROOT / "tests/states/persistence/test_persistence.py", database)
    assert {"fixture engine", "sqlalchemy"} <= set(seen)


# Gate names are spelt out where they are declared and where their checks are registered;
# everywhere else a gate is named by its constant (``states.definitions.gate_names``), and
# what a stage means is read from the declared stages (``states.rules.stages``), so a gate
# added to a transition cannot quietly change what the engine does.
GATE_NAME_HOMES = {"states/definitions/gate_names.py", "states/rules/gates.py"}


def _gate_name_literals(path: Path, names: set[str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sorted(
        {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value in names
        }
    )


def test_gate_names_are_spelt_out_only_where_gates_are_declared() -> None:
    from states.definitions.gate_names import DECLARED

    names = set(DECLARED)
    offenders = {
        str(path.relative_to(ROOT)): _gate_name_literals(path, names)
        for package in ("states", "notifications", "workflows", "oscp_flow", "bench")
        for path in (ROOT / package).rglob("*.py")
        if str(path.relative_to(ROOT)) not in GATE_NAME_HOMES
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    # The check sees them where they are.
    assert _gate_name_literals(ROOT / "states/rules/gates.py", names) == sorted(names)
