"""The audit discussion meeting in tests: MACE as a type declaring that moderation waits for
the meeting (gate ``discussion_held`` on ``complete_moderation``), and a MACE audit at
moderation under it, with agencies taking part and auditors assigned.

The shipped MACE does not declare the gate yet (see ``test_meetings.py``), so the tests run
against this copy of it, loaded from a folder of its own.
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

from states.rules.catalogue import Catalogue
from states.services.deps import Deps
from states.services.meetings import Plan
from tests.support.driver import Driver
from tests.support.partnership import email
from tests.support.paths import DEFINITIONS

GATED = "gates: [findings_moderated, discussion_held]"
# Those a driven audit offers: its chair, its assigned auditors and its agencies' leads.
OFFERED = ("chair", "auditor.one", "auditor.two", "lead.police", "lead.csc", "lead.health")


def gated_catalogue(folder: Path) -> Catalogue:
    """The shipped definitions, with MACE's moderation waiting for the discussion."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in DEFINITIONS.glob("*.yaml"):
        text = source.read_text()
        if source.name == "mace.yaml":
            marker = "    gates: [findings_moderated]\n"
            assert text.count(marker) == 1
            text = text.replace(marker, f"    {GATED}\n")
        (folder / source.name).write_text(text)
    return Catalogue.from_directory(folder, tools=DEFINITIONS.parent / "tools")


def gated_deps(deps: Deps, folder: Path) -> Deps:
    return Deps(deps.uow, gated_catalogue(folder), deps.clock)


def at_moderation(deps: Deps, theme: str = "Neglect") -> Driver:
    driver = Driver.start(deps, "mace", theme=theme)
    driver.advance("moderation")
    return driver


def plan(
    day: date,
    start: str = "10:00",
    end: str = "12:00",
    *,
    place: str | None = "Room 4, Civic Centre",
    link: str | None = None,
    who: tuple[str, ...] = ("chair", "lead.police", "auditor.one"),
) -> Plan:
    return Plan(
        day=day,
        start=time.fromisoformat(start),
        end=time.fromisoformat(end),
        place=place,
        online_link=link,
        attendees=tuple(email(w) for w in who),
    )
