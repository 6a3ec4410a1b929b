"""``oscp audit attendees add`` in-process on the test's database (SQLite and PostgreSQL):
attendees by number or from a CSV of pseudonymous references, never names."""

from __future__ import annotations

from pathlib import Path

from states.clock import FakeClock
from states.services.deps import Deps
from tests.support.cli import on_database, oscp_with
from tests.support.driver import drive
from tests.support.partnership import email
from tests.support.ports import free_port


def test_the_coordinator_registers_attendees(
    partnership: Deps, clock: FakeClock, tmp_path: Path
) -> None:
    reference = drive(partnership, "training_impact", to="planning", theme="Neglect").reference
    env = on_database(partnership, tmp_path, free_port())
    coordinator = ("--as", email("coordinator"))
    by_count = ("--agency", "police", "--course", "Neglect and GCP2", "--cohort", "2026-09")

    done = oscp_with(
        env, "audit", "attendees", "add", reference, *by_count, "--count", "2", *coordinator
    )
    assert done.exit_code == 0, done.stderr
    assert f"Registered 2 attendee(s): {reference}-A001, {reference}-A002." in done.stdout

    named = tmp_path / "named.csv"
    named.write_text("reference,agency,course,cohort\nJane Smith,csc,Neglect,2026-10\n")
    refused = oscp_with(
        env, "audit", "attendees", "add", reference, "--file", str(named), *coordinator
    )
    assert refused.exit_code == 1 and "looks like a name" in refused.stderr

    listed = tmp_path / "attendees.csv"
    listed.write_text(
        "reference,agency,course,cohort\nTRN-0101,csc,Neglect,2026-10\nTRN-0102,csc,Neglect,2026-10\n"
    )
    done = oscp_with(
        env, "audit", "attendees", "add", reference, "--file", str(listed), *coordinator
    )
    assert done.exit_code == 0, done.stderr
    assert "Registered 2 attendee(s): TRN-0101, TRN-0102." in done.stdout

    both = oscp_with(
        env,
        "audit",
        "attendees",
        "add",
        reference,
        "--file",
        str(listed),
        "--count",
        "1",
        *coordinator,
    )
    assert both.exit_code == 2 and "not both" in both.stderr
    lead = oscp_with(
        env,
        "audit",
        "attendees",
        "add",
        reference,
        *by_count,
        "--count",
        "1",
        "--as",
        email("lead.police"),
    )
    assert lead.exit_code == 4, lead.stdout
