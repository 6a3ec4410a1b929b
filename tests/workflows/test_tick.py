"""The worker's tick, on SQLite and PostgreSQL: it starts the programme's recurring work whose
time has come, each linked to its entry, and one that cannot start is skipped, not fatal:
the others start, reminders are swept and e-mail goes out on the same tick."""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from notifications.relay import RelayResult
from states.clock import FakeClock
from states.rules.catalogue import Catalogue
from states.services.board import board
from states.services.deps import Deps
from states.services.programme import list_entries, load_programme
from states.services.sweep import SweepResult
from tests.conftest import DEFINITIONS, ROOT
from tests.notifications.relay_once import Config
from tests.support.partnership import email
from tests.support.statements import counted
from workflows.runtime import CalendarPeople
from workflows.tick import tick

PROGRAMME = ROOT / "definitions" / "programme" / "oscp-2025-28.yaml"
PEOPLE = CalendarPeople(email("coordinator"), email("chair"))


class Outbox:
    """The mail server, faked at the process edge: what the relay hands over."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


def refusing(deps: Deps, audit_type: str, tmp_path: Path) -> Deps:
    """``deps`` with ``audit_type``'s definition file broken, as after a bad edit: the
    catalogue refuses that type alone, and its plans and running audits stand."""
    copy = tmp_path / "audit_types"
    shutil.copytree(DEFINITIONS, copy)
    with (copy / f"{audit_type}.yaml").open("a", encoding="utf-8") as file:
        file.write("not_a_field: true\n")
    catalogue = Catalogue.from_directory(copy, tools=DEFINITIONS.parent / "tools")
    return replace(deps, catalogue=catalogue)


def test_a_calendar_audit_that_cannot_start_does_not_stop_the_tick(
    partnership: Deps, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # 1 September 2025: the quarterly report due in August (started 1 July) and the annual
    # training-impact audit (started each 1 September) are both due to start.
    clock.set(datetime(2025, 9, 1, 9, 0, tzinfo=UTC))
    load_programme(partnership, PROGRAMME)
    mail = Outbox()
    broken = refusing(partnership, "training_impact", tmp_path)

    with caplog.at_level(logging.WARNING, logger="workflows.tick"):
        first = tick(broken, mail, Config(), PEOPLE)

    (report,) = first.started
    assert "training-impact-annual due June 2026 not started this tick" in caplog.text
    assert {a.reference: a.entry for a in board(partnership).in_progress} == {
        report: "effectiveness-report"
    }
    # The rest of the tick still ran: the report's lead was told of its start.
    assert first.relay.sent == len(mail.sent) >= 1

    # Mended, the next tick starts the one skipped and leaves the other as it is.
    again = tick(partnership, mail, Config(), PEOPLE)
    assert again.started[0] == report and len(again.started) == 2
    linked = {e.key: e.audit_reference for e in list_entries(partnership)}
    assert linked["training-impact-annual"] == again.started[1]
    assert board(partnership).unplanned == ()


def test_without_calendar_people_the_tick_starts_nothing(
    partnership: Deps, clock: FakeClock
) -> None:
    clock.set(datetime(2025, 9, 1, 9, 0, tzinfo=UTC))
    load_programme(partnership, PROGRAMME)
    assert tick(partnership, Outbox(), Config()).started == ()
    assert board(partnership).in_progress == ()


def test_a_quiet_tick_only_asks_what_is_due(partnership: Deps) -> None:
    """With nothing due the tick sends two statements in all: is a rung due, is a message
    due, one indexed look each (``tests/states/services/test_due.py`` checks their plans), so
    a quiet minute costs the same whatever the database holds."""
    mail = Outbox()
    tick(partnership, mail, Config())  # what the seeding queued goes now
    with counted(partnership) as work:
        quiet = tick(partnership, mail, Config())
    assert (quiet.sweep, quiet.relay) == (SweepResult(0, 0), RelayResult())
    assert work.statements == 2, work
