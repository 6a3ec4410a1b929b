"""``oscp definitions validate`` checks what the engine will rely on, and a broken definition
refuses only new audits of its own type (issue 15, item 16)."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import Result

from states.services.deps import Deps
from tests.support.cli import on_database, oscp, oscp_with
from tests.support.partnership import email
from tests.support.paths import ROOT
from tests.support.ports import free_port

SHIPPED = ROOT / "definitions"
BROKEN_DEST = ("dest: moderation", "dest: moderaton")


def copy_of_definitions(tmp_path: Path) -> Path:
    """The shipped audit types and tools, in a folder of the test's own."""
    root = tmp_path / "definitions"
    for part in ("audit_types", "tools"):
        shutil.copytree(SHIPPED / part, root / part)
    return root


def edit(path: Path, before: str, after: str) -> int:
    """Replace the first ``before`` in ``path``; the line it is on."""
    text = path.read_text(encoding="utf-8")
    assert before in text
    path.write_text(text.replace(before, after, 1), encoding="utf-8")
    return text[: text.index(before)].count("\n") + 1


def test_one_audit_type_file_is_checked_against_the_configured_tools(tmp_path: Path) -> None:
    lone = tmp_path / "mace.yaml"
    shutil.copy(SHIPPED / "audit_types" / "mace.yaml", lone)
    line = edit(lone, "tool: mace_case_file\n", "tool: mace_case_files\n")
    result = oscp(tmp_path, "definitions", "validate", str(lone))
    assert result.exit_code == 1
    assert f"mace.yaml, line {line} at tool: names the tool 'mace_case_files'" in result.stderr
    # The same file with the tool spelt right, beside a tools folder of its own that lacks it.
    tree = tmp_path / "own"
    (tree / "audit_types").mkdir(parents=True)
    shutil.copytree(SHIPPED / "tools", tree / "tools")
    (tree / "tools" / "mace_case_file.yaml").unlink()
    shutil.copy(SHIPPED / "audit_types" / "mace.yaml", tree / "audit_types" / "mace.yaml")
    beside = oscp(tmp_path, "definitions", "validate", str(tree / "audit_types" / "mace.yaml"))
    assert beside.exit_code == 1 and "names the tool 'mace_case_file'" in beside.stderr


def test_the_definitions_folder_is_validated_whole(tmp_path: Path) -> None:
    shipped = oscp(tmp_path, "definitions", "validate", str(SHIPPED))
    assert shipped.exit_code == 0, shipped.stderr
    assert "11 audit type definition(s) valid." in shipped.stdout
    assert "11 audit tool(s) valid." in shipped.stdout

    root = copy_of_definitions(tmp_path)
    type_line = edit(root / "audit_types" / "mace.yaml", *BROKEN_DEST)
    tool_line = edit(root / "tools" / "section_11_standards.yaml", "type: rating", "type: stars")
    both = oscp(tmp_path, "definitions", "validate", str(root))
    assert both.exit_code == 1
    assert f"mace.yaml, line {type_line} at transitions" in both.stderr
    assert f"section_11_standards.yaml, line {tool_line}" in both.stderr


def test_a_folder_with_no_definitions_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.txt").write_text("no definitions here", encoding="utf-8")
    result = oscp(tmp_path, "definitions", "validate", str(empty))
    assert result.exit_code == 1
    assert "holds no audit type or tool definitions to check" in result.stderr
    assert "Nothing was stored." not in result.stdout


def start(env: dict[str, str], audit_type: str, *agencies: str) -> Result:
    chosen = [arg for code in agencies for arg in ("--agency", code)]
    return oscp_with(
        env,
        *("audit", "start", audit_type, "--theme", "Neglect", "--lead", email("chair")),
        *chosen,
        *("--as", email("coordinator")),
    )


def test_a_broken_definition_refuses_only_new_audits_of_its_type(
    partnership: Deps, tmp_path: Path
) -> None:
    env = on_database(partnership, tmp_path, free_port())
    started = start(env, "mace", "police", "csc")
    assert started.exit_code == 0, started.stderr
    reference = started.stdout.split()[1]

    root = copy_of_definitions(tmp_path)
    line = edit(root / "audit_types" / "mace.yaml", *BROKEN_DEST)
    broken = {**env, "OSCP_DEFINITIONS": str(root / "audit_types")}

    shown = oscp_with(broken, "audit", "show", reference, "--as", email("coordinator"))
    assert shown.exit_code == 0, shown.stderr
    assert reference in shown.stdout and "Planning" in shown.stdout
    # A change goes through the pinned definition too.
    fired = oscp_with(
        broken,
        *("audit", "fire", reference, "withdraw", "--reason", "Theme merged into another audit"),
        *("--as", email("coordinator")),
    )
    assert fired.exit_code == 0, fired.stderr
    assert "now withdrawn" in fired.stdout

    refused = start(broken, "mace", "police")
    assert refused.exit_code == 1
    assert f"mace.yaml, line {line} at transitions" in refused.stderr
    assert "destination state 'moderaton' is not declared" in refused.stderr

    other = start(broken, "dip_sample", "police")
    assert other.exit_code == 0, other.stderr
    assert "(dip_sample)" in other.stdout
