"""Finding 10 (renderer): no text a person typed is ever compiled as a template.

The one sandbox that compiled people's text (``render_user_text``) was used by nothing, so it
is gone rather than kept as an attack surface waiting for a caller. What remains compiles
only templates written in the code: a narrative is a *value* given to a fixed template.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from notifications.reports import narrative_html
from tests.conftest import ROOT

PACKAGES = ("states", "notifications", "workflows", "oscp_flow")


def _modules() -> Iterator[Path]:
    for package in PACKAGES:
        yield from (ROOT / package).rglob("*.py")


def _compiled_from_variables(tree: ast.AST) -> Iterator[int]:
    """Lines calling ``from_string`` or ``Template`` on anything but a module constant."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        source = node.args[0]
        constant = isinstance(source, ast.Name) and source.id.lstrip("_").isupper()
        if name in ("from_string", "Template") and not constant:
            yield node.lineno


def test_templates_are_only_ever_compiled_from_the_codes_own_text() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _modules()
        for line in _compiled_from_variables(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == []


def test_a_narrative_that_looks_like_a_template_is_shown_as_typed() -> None:
    typed = "{{ ''.__class__.__mro__ }} {{ 7*7 }} {% for x in range(9**9) %}{% endfor %}"
    html = str(narrative_html(typed))
    assert "{{ &#39;&#39;.__class__.__mro__ }} {{ 7*7 }}" in html
    assert "{% for x in range(9**9) %}{% endfor %}" in html
