"""What a newcomer sees on first ``oscp up``: audits in several stages, with mail to match.

Run once, on an engine with no audits: one audit reached its returns three weeks ago (so
its reminders and overdue escalations fall due at the first sweep), one waits for sign-off
(so the learning hub's approval links go out), one is in impact monitoring with an action
for the police (so the agency's action link goes out), and one is started through Prefect,
as the UI's Run button would, so its flow run is there to look at. All fictional (``demo.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from oscp_flow.rehearsal.demo import email
from oscp_flow.rehearsal.walkthrough import rehearse
from states.clock import LONDON, FakeClock
from states.services import actions
from states.services.deps import Deps

# Far enough back that the returns deadline and its overdue rungs have passed.
OVERDUE_BY = timedelta(days=60)
ACTION_DUE_IN = timedelta(days=42)
# A MACE of the 2025-28 programme, started from the Prefect UI's form as a coordinator would.
SHOWCASE_ENTRY = "domestic-abuse-mace"


@dataclass(frozen=True)
class Shown:
    reference: str
    audit_type: str
    what: str


def seed(deps: Deps, start_through_prefect: Callable[[dict[str, object]], str]) -> list[Shown]:
    """Adds the four audits; ``start_through_prefect`` runs the start-audit deployment with
    the parameters given (a programme entry of the loaded programme) and returns the new
    audit's reference."""
    earlier = replace(deps, clock=FakeClock(deps.clock.now() - OVERDUE_BY))
    overdue = rehearse(earlier, "section_11", goal="returns_open", theme="Section 11 2026")
    signing = rehearse(deps, "dip_sample", goal="awaiting_sign_off", theme="Core groups")
    monitoring = rehearse(deps, "mace", goal="impact_monitoring", theme="Strategy discussions")
    actions.add_action(
        deps,
        audit=monitoring.reference,
        actor=email("chair"),
        recommendation="Re-audit strategy discussions for the attendance of every agency invited.",
        owner="police",
        due_on=deps.clock.now().astimezone(LONDON).date() + ACTION_DUE_IN,
    )
    started = start_through_prefect(
        {
            "programme_entry": SHOWCASE_ENTRY,
            "lead": email("chair"),
            "agencies": ["police", "csc", "community_health", "schools"],
        }
    )
    return [
        Shown(overdue.reference, "section_11", "returns overdue: reminders and escalations"),
        Shown(signing.reference, "dip_sample", "awaiting sign-off: approval links e-mailed"),
        Shown(monitoring.reference, "mace", "impact monitoring: the police's action link e-mailed"),
        Shown(started, "mace", "started through Prefect: its chair e-mailed"),
    ]
