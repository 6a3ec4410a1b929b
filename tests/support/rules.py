"""A compiled audit type and a gate context for rules tests: an audit with nothing recorded
yet, so a test states only the facts it is about."""

from __future__ import annotations

from datetime import date

from states.rules.catalogue import Catalogue
from states.rules.compiler import CompiledType
from states.rules.gates import CaseWindow, GateContext, SignOffDecision
from states.rules.report_content import SECTIONS
from tests.support.paths import DEFINITIONS

CATALOGUE = Catalogue.from_directory(DEFINITIONS)


class NothingYet:
    """An audit with no returns, findings, decisions, cases, concerns or report."""

    def participation_count(self) -> int:
        return 0

    def outstanding_returns(self) -> list[str]:
        return []

    def finding_counts(self) -> tuple[int, int]:
        return (0, 0)

    def sign_off_decisions(self, round_: int) -> list[SignOffDecision]:
        return []

    def cases(self) -> list[CaseWindow]:
        return []

    def unassigned_cases(self) -> list[str]:
        return []

    def conflicted_assignments(self) -> list[tuple[str, str]]:
        return []

    def undeclared_assignments(self) -> list[tuple[str, str]]:
        return []

    def terms_recorded(self) -> bool:
        return False

    def open_escalations(self) -> list[str]:
        return []

    def deep_dive_count(self) -> int:
        return 0

    def awaiting_feedback(self) -> list[str]:
        return []

    def open_actions(self) -> list[str]:
        return []

    def shared_items(self) -> set[str]:
        return set()

    def empty_report_sections(self) -> list[str]:
        return list(SECTIONS)

    def meeting_counts(self) -> tuple[int, int]:
        return (0, 0)


def context(
    compiled: CompiledType, state: str, trigger: str, roles: set[str], reason: str | None = None
) -> GateContext:
    return GateContext(
        audit_reference="AUD-T",
        audit_started_on=date(2026, 3, 2),
        lead_id=1,
        sign_off_round=1,
        actor_id=9,
        actor_name="Pat",
        actor_roles=frozenset(roles),
        definition=compiled.definition,
        transition=compiled.transition(reference="AUD-T", state=state, trigger=trigger),
        facts=NothingYet(),
        reason=reason,
    )
