"""What a coordinator starts an audit from (issue 17 item 1): the types, the people who may
chair (those who can sign in first, never the engine's own account), the agencies, the
settings by phase, a programme entry with the chair its plan names, and, once started, whom
nobody can be asked for a return. Only a coordinator reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from states.errors import InvalidInput, NotFound, PermissionDenied
from states.rules.directory import AgencyKind, Phase
from states.services import audits, programme, start_choices
from states.services import partnership as directory
from states.services.deps import Deps
from tests.conftest import ROOT
from tests.support.partnership import AGENCIES, agency_name, email, person_name

PROGRAMME = ROOT / "definitions" / "programme" / "oscp-2025-28.yaml"


def _settings(deps: Deps) -> None:
    for urn, name, phase in (
        ("100001", "Northvale Primary", Phase.PRIMARY),
        ("100002", "Northvale High", Phase.SECONDARY),
        ("100003", "Little Acorns", Phase.EARLY_YEARS),
    ):
        kind = AgencyKind.EARLY_YEARS if phase is Phase.EARLY_YEARS else AgencyKind.SCHOOL
        directory.add_agency(deps, code=f"s{urn}", name=name, kind=kind, urn=urn, phase=phase)


def test_the_choices_a_coordinator_starts_from(partnership: Deps) -> None:
    deps = partnership
    _settings(deps)
    chosen = start_choices.start_choices(deps, viewer=email("coordinator"))
    assert {c.value for c in chosen.audit_types} == set(deps.catalogue.audit_types)
    labels = [c.label for c in chosen.audit_types]
    assert labels == sorted(labels)
    signing_in = {c.label for c in chosen.chairs_signing_in}
    assert {person_name("coordinator"), person_name("chair"), person_name("auditor.one")} <= (
        signing_in
    )
    others = {c.label for c in chosen.chairs_others}
    assert person_name("lead.police") in others and person_name("lsp.council") in others
    assert "Audit engine" not in signing_in | others
    assert {c.value for c in chosen.agencies} == {a.code for a in AGENCIES}
    assert [g.title for g in chosen.setting_groups] == [
        "Early years settings",
        "Primary schools",
        "Secondary schools",
    ]
    assert chosen.setting_groups[1].settings[0].label == "Northvale Primary (URN 100001)"
    assert chosen.taking_part(["police", "s100002"], all_settings=True) == [
        "police",
        "s100002",
        "s100003",
        "s100001",
    ]


def test_people_sharing_a_name_are_told_apart_by_their_address(partnership: Deps) -> None:
    twin = "lee.marsden@example.org"
    directory.add_person(
        partnership, name=person_name("chair"), email=twin, roles=["learning_hub_member"]
    )
    chosen = start_choices.start_choices(partnership, viewer=email("coordinator"))
    labels = {c.value: c.label for c in chosen.chairs_signing_in}
    assert labels[twin] == f"{person_name('chair')} ({twin})"
    assert labels[email("chair")] == f"{person_name('chair')} ({email('chair')})"


def test_only_a_coordinator_reads_them(partnership: Deps) -> None:
    with pytest.raises(PermissionDenied, match="Only a coordinator can start an audit"):
        start_choices.start_choices(partnership, viewer=email("lhm"))


def test_a_programme_entry_to_start_from(partnership: Deps) -> None:
    deps = partnership
    programme.load_programme(deps, PROGRAMME)
    chosen = start_choices.start_choices(deps, viewer=email("coordinator"))
    entry = start_choices.entry_to_start(deps, key="syv-mace", choices=chosen)
    assert entry.entry.audit_type == "mace" and entry.entry.audit_reference is None
    # The plan names an author nobody in the tests' directory is called.
    assert entry.suggested_chair is None
    with pytest.raises(NotFound, match="programme entry 'nothing'"):
        start_choices.entry_to_start(deps, key="nothing", choices=chosen)


def test_the_plans_report_author_is_suggested_when_the_directory_has_them(
    partnership: Deps,
) -> None:
    deps = partnership
    programme.load_programme(deps, PROGRAMME)
    author = next(e for e in programme.list_entries(deps) if e.key == "syv-mace").report_author
    directory.add_person(deps, name=author, email="author@example.org", roles=["chair"])
    chosen = start_choices.start_choices(deps, viewer=email("coordinator"))
    entry = start_choices.entry_to_start(deps, key="syv-mace", choices=chosen)
    assert entry.suggested_chair == "author@example.org"


def test_an_entry_in_two_programmes_is_not_guessed(partnership: Deps, tmp_path: Path) -> None:
    deps = partnership
    programme.load_programme(deps, PROGRAMME)
    text = PROGRAMME.read_text(encoding="utf-8")
    name = next(e.programme for e in programme.list_entries(deps))
    other = tmp_path / "other.yaml"
    other.write_text(text.replace(f"programme: {name}", "programme: another"), encoding="utf-8")
    programme.load_programme(deps, other)
    chosen = start_choices.start_choices(deps, viewer=email("coordinator"))
    with pytest.raises(InvalidInput, match="in several programmes"):
        start_choices.entry_to_start(deps, key="syv-mace", choices=chosen)


def test_once_started_whom_nobody_can_ask_for_a_return(partnership: Deps) -> None:
    deps = partnership
    reference = audits.start_audit(
        deps,
        audit_type="section_11",
        theme="Standards",
        lead=email("chair"),
        actor=email("coordinator"),
        agencies=["police", "housing"],
    ).reference
    started = start_choices.started(deps, audit=reference, viewer=email("chair"))
    assert started.unasked == (agency_name("housing"),)
    assert started.planning and started.state_title == "Planning"
    with pytest.raises(PermissionDenied, match="only the chair or coordinator"):
        start_choices.started(deps, audit=reference, viewer=email("lhm"))
