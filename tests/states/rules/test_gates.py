"""Each gate passes only when the framework's rule holds, and says why when it does not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from states.rules.gates import GATES, CaseWindow, Decision, SignOffDecision, months_before
from tests.support.rules import CATALOGUE, NothingYet, context

MACE = CATALOGUE.current("mace")


class Facts(NothingYet):
    def __init__(self, **answers: object) -> None:
        self.answers = answers

    def __getattribute__(self, name: str) -> object:
        answers = object.__getattribute__(self, "answers")
        if name in answers:
            return lambda *_: answers[name]
        return object.__getattribute__(self, name)


def check(
    gate: str, state: str, trigger: str, roles: set[str] | None = None, **answers: object
) -> str | None:
    ctx = replace(context(MACE, state, trigger, roles or {"coordinator"}), facts=Facts(**answers))
    return GATES[gate].check(ctx)


def approve(pid: int, roles: set[str], decision: Decision = Decision.APPROVE) -> SignOffDecision:
    return SignOffDecision(pid, f"Member {pid}", frozenset(roles), decision)


def test_all_returns_in() -> None:
    assert check("all_returns_in", "returns_open", "close_returns") == (
        "no agencies have been asked to take part yet"
    )
    assert (
        check(
            "all_returns_in",
            "returns_open",
            "close_returns",
            participation_count=3,
            outstanding_returns=["Police", "Health"],
        )
        == "still waiting for returns from Police, Health"
    )
    assert check("all_returns_in", "returns_open", "close_returns", participation_count=3) is None


def test_findings_moderated() -> None:
    assert (
        check("findings_moderated", "moderation", "complete_moderation")
        == "no findings have been recorded yet"
    )
    assert (
        check("findings_moderated", "moderation", "complete_moderation", finding_counts=(4, 1))
        == "1 of 4 findings have not been moderated"
    )
    assert (
        check("findings_moderated", "moderation", "complete_moderation", finding_counts=(4, 0))
        is None
    )


def test_sign_off_quorum_excludes_the_author_and_other_roles() -> None:
    lhm, lsp = {"learning_hub_member"}, {"statutory_partner"}
    # person 1 is the audit's lead (report author): their approval never counts.
    author_and_one = [approve(1, lhm), approve(2, lsp)]
    assert (
        check("sign_off_quorum", "awaiting_sign_off", "sign_off", sign_off_decisions=author_and_one)
        == "1 of the 2 approvals needed have been given"
    )
    outsider = [approve(2, lsp), approve(3, {"agency_lead"})]
    assert (
        check("sign_off_quorum", "awaiting_sign_off", "sign_off", sign_off_decisions=outsider)
        is not None
    )
    assert (
        check(
            "sign_off_quorum",
            "awaiting_sign_off",
            "sign_off",
            sign_off_decisions=[approve(2, lsp), approve(3, lhm)],
        )
        is None
    )
    refused = [approve(2, lsp), approve(3, lhm), approve(4, lhm, Decision.REFUSE)]
    assert "Member 4 refused" in str(
        check("sign_off_quorum", "awaiting_sign_off", "sign_off", sign_off_decisions=refused)
    )
    assert (
        check(
            "sign_off_refused",
            "awaiting_sign_off",
            "request_further_assurance",
            sign_off_decisions=refused,
        )
        is None
    )
    assert (
        check(
            "sign_off_refused",
            "awaiting_sign_off",
            "request_further_assurance",
            sign_off_decisions=[approve(1, lhm, Decision.REFUSE)],
        )
        is not None
    )


def test_cases_within_twelve_months_of_the_start() -> None:
    # The audit started on 2 March 2026: the window opens on 2 March 2025.
    inside = [CaseWindow("C-1", date(2025, 3, 2)), CaseWindow("C-2", date(2026, 3, 2))]
    assert (
        check("cases_within_window", "terms_of_reference_agreed", "select_sample", cases=inside)
        is None
    )
    outside = [
        *inside,
        CaseWindow("C-3", date(2025, 3, 1)),
        CaseWindow("C-4", None),
        CaseWindow("C-5", date(2026, 3, 3)),
    ]
    reason = check(
        "cases_within_window", "terms_of_reference_agreed", "select_sample", cases=outside
    )
    assert reason == (
        "cases C-3, C-4, C-5 had no intervention between 02 March 2025 and 02 March 2026"
    )
    assert check("cases_within_window", "terms_of_reference_agreed", "select_sample") == (
        "no cases have been sampled yet"
    )


def test_auditor_independence() -> None:
    assert (
        check(
            "auditors_independent",
            "sample_selected",
            "confirm_auditors",
            conflicted_assignments=[("Quinn", "C-1")],
        )
        == "auditors declared involvement: Quinn on C-1"
    )
    assert (
        check(
            "auditors_independent", "sample_selected", "confirm_auditors", unassigned_cases=["C-2"]
        )
        == "cases C-2 have no auditor yet"
    )
    assert (
        check(
            "auditors_independent",
            "sample_selected",
            "confirm_auditors",
            undeclared_assignments=[("Quinn", "C-3")],
        )
        == "auditors have still to declare any involvement: Quinn on C-3"
    )
    assert check("auditors_independent", "sample_selected", "confirm_auditors") is None


def test_terms_recorded() -> None:
    assert check("terms_recorded", "planning", "agree_terms_of_reference") == (
        "the terms of reference (scope, time window, methodology, timetable) are not recorded"
    )
    assert (
        check("terms_recorded", "planning", "agree_terms_of_reference", terms_recorded=True) is None
    )


def test_escalations() -> None:
    assert check(
        "escalations_assured", "impact_monitoring", "close", open_escalations=["Police"]
    ) == ("immediate-risk concerns still await assurance from Police")
    assert check("escalations_assured", "impact_monitoring", "close") is None
    assert check("escalation_open", "moderation", "record_assurance") is not None


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 3, 2), 12, date(2025, 3, 2)),
        (date(2024, 2, 29), 12, date(2023, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2026, 1, 15), 13, date(2024, 12, 15)),
    ],
)
def test_months_before(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


def test_dissemination_recorded_names_each_item_still_to_share() -> None:
    assert check("dissemination_recorded", "dissemination", "start_impact_monitoring") == (
        "still to record as shared: Findings presented to the learning hub (learning_hub), "
        "Published on the OSCP website (website), 7-minute briefing (briefing), "
        "Practitioner learning on a page (learning_on_a_page)"
    )
    some = {"learning_hub", "briefing"}
    assert check(
        "dissemination_recorded", "dissemination", "start_impact_monitoring", shared_items=some
    ) == (
        "still to record as shared: Published on the OSCP website (website), "
        "Practitioner learning on a page (learning_on_a_page)"
    )
    everything = {"learning_hub", "website", "briefing", "learning_on_a_page"}
    assert (
        check(
            "dissemination_recorded",
            "dissemination",
            "start_impact_monitoring",
            shared_items=everything,
        )
        is None
    )


def test_an_audit_whose_type_declared_nothing_to_share_passes() -> None:
    """An audit started before its type declared what it shares is asked for nothing."""
    ctx = context(MACE, "dissemination", "start_impact_monitoring", {"coordinator"})
    older = ctx.definition.model_copy(update={"dissemination": None})
    assert GATES["dissemination_recorded"].check(replace(ctx, definition=older)) is None
