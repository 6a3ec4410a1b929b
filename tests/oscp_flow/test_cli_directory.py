"""``oscp directory ...`` and ``oscp body ...`` as a coordinator uses them, in-process on the
test's database (SQLite and PostgreSQL): tables out, one sentence and an exit code when
refused."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner, Result

from oscp_flow.cli import app
from states.services.deps import Deps
from tests.support.driver import drive
from tests.support.partnership import email

COORDINATOR = email("coordinator")
WHY = ("--reason", "Agreed at the partnership meeting")


def invoke(*args: str, actor: str = COORDINATOR) -> Result:
    return CliRunner().invoke(app, [*args, "--as", actor], env={"COLUMNS": "250"})


@pytest.fixture
def cli(partnership: Deps, monkeypatch: pytest.MonkeyPatch) -> Deps:
    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: partnership)
    return partnership


def test_add_show_and_search(cli: Deps) -> None:
    steps = [
        ("directory", "add", "agency", "hfs", "Harbour Family", "--kind", "voluntary_sector"),
        (
            "directory", "add", "setting", "1234567", "hill", "Hillside Primary",
            "--kind", "school", "--phase", "primary",
        ),
        (
            "directory", "add", "person", "Ro.Ketley@example.org", "Ro Ketley",
            "--agency", "hill", "--role", "agency_lead",
        ),
        ("directory", "add", "body", "hub", "Learning hub", "--kind", "learning hub"),
    ]  # fmt: skip
    for step in steps:
        done = invoke(*step, *WHY)
        assert done.exit_code == 0, done.stderr
        assert done.stdout.strip().endswith(": added.")
    found = invoke("directory", "show", "--search", "hill")
    assert found.exit_code == 0, found.stderr
    assert "Settings" in found.stdout and "1234567" in found.stdout
    assert "Agencies" not in found.stdout and "People" not in found.stdout
    person = invoke("directory", "show", "--search", "KETLEY")
    assert "ro.ketley@example.org" in person.stdout and "hill" in person.stdout
    people = invoke("directory", "show", "--part", "people")
    assert email("lead.police") in people.stdout and "Settings" not in people.stdout
    assert (
        "Nothing in the directory matches." in invoke("directory", "show", "--search", "zz").stdout
    )


def test_change_deactivate_reactivate_and_the_log(cli: Deps) -> None:
    changed = invoke(
        "directory", "change", "person", email("auditor.one"),
        "--name", "Jules Penrose-Hart", "--grant", "agency_lead", "--remove-role", "auditor", *WHY,
    )  # fmt: skip
    assert changed.exit_code == 0, changed.stderr
    assert "Jules Penrose-Hart: changed (roles: agency_lead)." in changed.stdout
    renamed = invoke(
        "directory", "change", "agency", "vcs", "--name", "Vale Voluntary Action", *WHY
    )
    assert renamed.exit_code == 0, renamed.stderr
    off = invoke("directory", "deactivate", "agency", "vcs", *WHY)
    assert "Vale Voluntary Action: deactivated." in off.stdout
    on = invoke("directory", "reactivate", "agency", "vcs", *WHY)
    assert "Vale Voluntary Action: reactivated." in on.stdout
    log = invoke("directory", "log", "--agency", "vcs")
    assert log.exit_code == 0, log.stderr
    assert "3 changes." in log.stdout
    assert "name: Northvale Voluntary Action -> Vale Voluntary Action" in log.stdout
    whole = invoke("directory", "log")
    assert "role auditor" in whole.stdout and "Agreed at the partnership meeting" in whole.stdout


def test_deactivating_a_person_lists_what_to_hand_over_and_handover_moves_it(cli: Deps) -> None:
    reference = drive(cli, "mace", "returns_open").reference
    removed = invoke("directory", "deactivate", "person", email("chair"), *WHY)
    assert removed.exit_code == 0, removed.stderr
    assert "Lee Marsden (chair@example.org) deactivated" in removed.stdout
    assert "Still to hand over" in removed.stdout and reference in removed.stdout
    handed = invoke("directory", "handover", email("chair"), email("lhm"), *WHY)
    assert handed.exit_code == 0, handed.stderr
    assert "Nat Brierley chairs it now" in handed.stdout
    assert "1 moved, 0 not moved." in handed.stdout


def test_bodies(cli: Deps) -> None:
    assert (
        invoke(
            "directory", "add", "body", "lsp", "Partners", "--kind", "statutory_partners", *WHY
        ).exit_code
        == 0
    )
    added = invoke("body", "add-member", "lsp", email("lsp.police"), *WHY)
    assert added.exit_code == 0, added.stderr
    second = invoke("body", "add-member", "lsp", email("lead.police"), *WHY)
    assert second.exit_code == 1
    assert "Northvale Police already has its lead on Partners" in second.stderr
    shown = invoke("body", "show", "lsp")
    assert "Jess Calloway" in shown.stdout and "1 member." in shown.stdout
    listed = invoke("body", "show")
    assert "lsp" in listed.stdout and "statutory_partners" in listed.stdout
    removed = invoke("body", "remove-member", "lsp", email("lsp.police"), *WHY)
    assert removed.exit_code == 0, removed.stderr
    assert "0 members." in invoke("body", "show", "lsp").stdout


_SETTING = ("directory", "add", "setting", "12", "s", "S", "--kind", "school", "--phase", "x")
REFUSALS: dict[str, tuple[tuple[str, ...], str, int, str]] = {
    "not a coordinator": (
        ("directory", "add", "agency", "x", "X", "--kind", "other", *WHY),
        email("chair"),
        4,
        "Only a coordinator may change the directory",
    ),
    "not a coordinator, reading": (
        ("directory", "show"),
        email("lead.police"),
        4,
        "Only a coordinator may see the directory",
    ),
    "duplicate e-mail": (
        ("directory", "add", "person", email("lhm").upper(), "Twin", *WHY),
        COORDINATOR,
        1,
        "already in the directory",
    ),
    "malformed e-mail": (
        ("directory", "add", "person", "not-an-address", "X", *WHY),
        COORDINATOR,
        1,
        "not an e-mail address",
    ),
    "unknown role": (
        ("directory", "add", "person", "x@example.org", "X", "--role", "boss", *WHY),
        COORDINATOR,
        1,
        "no role boss",
    ),
    "unknown phase": ((*_SETTING, *WHY), COORDINATOR, 1, "There is no phase 'x'"),
    "bad URN": ((*_SETTING[:-1], "primary", *WHY), COORDINATOR, 1, "6 or 7 digit"),
    "unknown body": (
        ("body", "add-member", "nobody", email("lhm"), *WHY),
        COORDINATOR,
        1,
        "No body 'nobody'",
    ),
    "unknown agency": (
        ("directory", "change", "agency", "nowhere", "--name", "N", *WHY),
        COORDINATOR,
        1,
        "No agency or setting 'nowhere'",
    ),
    "unknown part": (("directory", "deactivate", "team", "x", *WHY), COORDINATOR, 2, "say which"),
    "unknown part shown": (
        ("directory", "show", "--part", "teams"),
        COORDINATOR,
        1,
        "There is no part 'teams'",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_are_one_sentence(cli: Deps, case: str) -> None:
    args, actor, code, says = REFUSALS[case]
    refused = invoke(*args, actor=actor)
    assert refused.exit_code == code
    assert says in refused.stderr
    assert "Traceback" not in refused.stderr and refused.stderr.count("Error:") == 1
