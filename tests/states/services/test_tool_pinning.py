"""A running audit keeps the audit tool it started with, whatever the YAML says later."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from states.clock import LONDON, FakeClock
from states.errors import DefinitionError, ReturnIncomplete
from states.rules.catalogue import Catalogue
from states.services import audits, returns
from states.services.deps import Deps
from tests.conftest import DEFINITIONS
from tests.support.driver import Driver, complete_answers
from tests.support.partnership import email

NEW_QUESTION = """      - id: leadership_named_board_lead
        text: Is a named board member accountable for safeguarding?
        type: yes_no_partly
        required: true
"""


def _edited_definitions(tmp_path: Path) -> Path:
    copy = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS.parent, copy, ignore=shutil.ignore_patterns("schema"))
    tool = copy / "tools" / "section_11_standards.yaml"
    text = tool.read_text()
    marker = "      - id: leadership_evidence\n"
    assert marker in text
    tool.write_text(text.replace(marker, NEW_QUESTION + marker, 1))
    return copy / "audit_types"


def _to_returns(deps: Deps, clock: FakeClock, reference: str) -> None:
    Driver(deps, reference, started_on=clock.now().astimezone(LONDON).date()).advance(
        "returns_open"
    )


def test_returns_follow_the_tool_the_audit_started_with(
    partnership: Deps, clock: FakeClock, tmp_path: Path
) -> None:
    deps = partnership
    old_tool = deps.catalogue.tool("section_11")
    assert old_tool is not None
    running = audits.start_audit(
        deps,
        audit_type="section_11",
        theme="Before the edit",
        lead=email("chair"),
        actor=email("coordinator"),
    ).reference
    edited = Catalogue.from_directory(_edited_definitions(tmp_path))
    later = Deps(uow=deps.uow, catalogue=edited, clock=deps.clock)
    new_tool = edited.tool("section_11")
    assert new_tool is not None and new_tool.content_hash() != old_tool.content_hash()

    _to_returns(later, clock, running)
    done = returns.submit(
        later,
        audit=running,
        actor=email("lead.police"),
        agency="police",
        answers=complete_answers(old_tool),
    )
    assert done.status == "submitted"

    fresh = audits.start_audit(
        later,
        audit_type="section_11",
        theme="After the edit",
        lead=email("chair"),
        actor=email("coordinator"),
    ).reference
    _to_returns(later, clock, fresh)
    with pytest.raises(ReturnIncomplete, match="leadership_named_board_lead: needs an answer"):
        returns.submit(
            later,
            audit=fresh,
            actor=email("lead.police"),
            agency="police",
            answers=complete_answers(old_tool),
        )


def test_an_audit_type_naming_a_missing_tool_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS.parent, copy, ignore=shutil.ignore_patterns("schema"))
    (copy / "tools" / "benchmarking_tool.yaml").unlink()
    text = (copy / "tools" / "mace_case_file.yaml").read_text(encoding="utf-8")
    (copy / "tools" / "mace_case_file.yaml").write_text(
        text.replace("type: rating", "type: stars", 1), encoding="utf-8"
    )
    catalogue = Catalogue.from_directory(copy / "audit_types")
    # Only new audits of the types concerned are refused, each naming the file at fault.
    with pytest.raises(DefinitionError, match="names the tool 'benchmarking_tool', which is not"):
        catalogue.current("benchmarking")
    with pytest.raises(DefinitionError, match=r"^mace_case_file\.yaml, line \d+"):
        catalogue.current("mace")
    assert set(catalogue.refused) == {"benchmarking", "mace"}
    assert "benchmarking" not in catalogue.audit_types and "mace" in catalogue.known_types
    catalogue.check_known("mace")  # its running audits and programme entries still stand
    assert catalogue.current("dip_sample").definition.tool == "dip_sample_core_groups"
