"""``oscp meeting``: the audit discussion scheduled, moved and cancelled from the command line
on both stores, with the engine's sentences for what it refuses (attendance before the start,
someone not of the audit, a person without the role: exit 4)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from states.persistence import tables as t
from states.services.deps import Deps
from tests.support.cli import on_database, oscp_with
from tests.support.meetings import at_moderation
from tests.support.partnership import email

# The command runs on the system clock: a day well ahead of it.
DAY = "2030-01-10"


def _meeting(deps: Deps, *args: str, as_: str = "chair") -> tuple[int, str]:
    home = deps.uow.engine.url.database or ""
    result = oscp_with(
        on_database(deps, Path(home).parent if home else Path("."), 1),
        "meeting",
        *args,
        "--as",
        email(as_),
    )
    return result.exit_code, result.output


def test_scheduled_moved_and_cancelled_from_the_command_line(partnership: Deps) -> None:
    deps = partnership
    audit = at_moderation(deps).reference
    when = ["--date", DAY, "--start", "10:00", "--end", "11:00"]
    code, said = _meeting(
        deps,
        "schedule",
        audit,
        *when,
        "--place",
        "Room 4",
        "--attendee",
        email("lead.police"),
        "--attendee",
        email("auditor.one"),
    )
    assert code == 0, said
    assert "Scheduled (sequence 0): 2 invited" in said

    code, said = _meeting(
        deps,
        "move",
        audit,
        "--date",
        DAY,
        "--start",
        "14:00",
        "--end",
        "15:00",
        "--link",
        "https://meet.example.org/x",
        "--attendee",
        email("lead.police"),
    )
    assert code == 0, said
    assert "Changed (sequence 1): 0 invited, 1 told of the change, 1 sent a cancellation" in said

    code, said = _meeting(deps, "attendance", audit, "--attended", email("lead.police"))
    assert code == 1 and "has not started yet" in said

    code, said = _meeting(deps, "cancel", audit, "--reason", "Chair away", as_="lead.police")
    assert code == 4 and "chair or coordinator" in said

    code, said = _meeting(deps, "cancel", audit, "--reason", "Chair away", as_="coordinator")
    assert code == 0 and "Cancelled (sequence 2)" in said
    with deps.uow(readonly=True) as uow:
        assert uow.connection.execute(select(t.meeting.c.status)).scalar_one() == "cancelled"


def test_someone_not_of_the_audit_is_refused(partnership: Deps) -> None:
    audit = at_moderation(partnership).reference
    code, said = _meeting(
        partnership,
        "schedule",
        audit,
        "--date",
        DAY,
        "--start",
        "10:00",
        "--end",
        "11:00",
        "--place",
        "Room 4",
        "--attendee",
        email("lhm"),
    )
    assert code == 1 and "cannot be invited" in said
