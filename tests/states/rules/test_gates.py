"""Each gate passes only when the framework's rule holds, and says why when it does not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from states.definitions.bodies import BodyKind
from states.definitions.sign_off import Refusal, SignOffBody, SignOffDef
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


def approve(
    pid: int,
    roles: set[str],
    decision: Decision = Decision.APPROVE,
    bodies: frozenset[BodyKind] = frozenset(),
) -> SignOffDecision:
    return SignOffDecision(pid, f"Member {pid}", frozenset(roles), decision, bodies)


HUB, LSP = frozenset({BodyKind.LEARNING_HUB}), frozenset({BodyKind.STATUTORY_PARTNERS})
# The rule audits started before bodies were declared still carry in their snapshots.
BY_ROLES = SignOffDef(roles=["learning_hub_member", "statutory_partner"], quorum=2)
BY_MAJORITY = SignOffDef(
    bodies=[
        SignOffBody(kind=BodyKind.LEARNING_HUB, quorum=1),
        SignOffBody(kind=BodyKind.STATUTORY_PARTNERS, quorum=2),
    ],
    refusal=Refusal.MAJORITY,
)


def decide(
    gate: str, decisions: list[SignOffDecision], rule: SignOffDef | None = None
) -> str | None:
    trigger = "sign_off" if gate == "sign_off_quorum" else "request_further_assurance"
    ctx = context(MACE, "awaiting_sign_off", trigger, {"coordinator"})
    ctx = replace(ctx, facts=Facts(sign_off_decisions=decisions), sign_off=rule)
    return GATES[gate].check(ctx)


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


def test_both_bodies_must_reach_their_own_quorum() -> None:
    lhm, lsp = {"learning_hub_member"}, {"statutory_partner"}
    # Two statutory partners alone do not sign off a MACE: the learning hub has not approved.
    partners = [approve(2, lsp, bodies=LSP), approve(3, lsp, bodies=LSP)]
    assert decide("sign_off_quorum", partners) == (
        "0 of the 1 approvals needed from the learning hub have been given"
    )
    # Person 1 is the audit's lead (the report's author): their approval never counts.
    with_author = [*partners, approve(1, lhm, bodies=HUB)]
    assert decide("sign_off_quorum", with_author) is not None
    hub_and_one = [approve(4, lhm, bodies=HUB), approve(2, lsp, bodies=LSP)]
    assert decide("sign_off_quorum", hub_and_one) == (
        "1 of the 2 approvals needed from the statutory partners have been given"
    )
    assert decide("sign_off_quorum", [*partners, approve(4, lhm, bodies=HUB)]) is None
    # Holding the role without sitting on a body counts for nothing.
    outsider = [*partners, approve(5, lhm)]
    assert decide("sign_off_quorum", outsider) is not None


def test_a_member_of_both_bodies_counts_for_each() -> None:
    both = approve(2, {"statutory_partner"}, bodies=HUB | LSP)
    assert decide("sign_off_quorum", [both]) == (
        "1 of the 2 approvals needed from the statutory partners have been given"
    )
    other = approve(3, {"statutory_partner"}, bodies=LSP)
    assert decide("sign_off_quorum", [both, other]) is None


def test_with_refusal_any_one_refusal_sends_it_back() -> None:
    approved = [
        approve(2, set(), bodies=LSP),
        approve(3, set(), bodies=LSP),
        approve(4, set(), bodies=HUB),
    ]
    refused = [*approved, approve(6, set(), Decision.REFUSE, bodies=LSP)]
    assert decide("sign_off_quorum", refused) == (
        "Member 6 refused sign-off and asked for further assurance"
    )
    assert decide("sign_off_refused", refused) is None
    assert decide("sign_off_refused", approved) is not None
    # The author's own refusal does not count either.
    assert decide("sign_off_refused", [approve(1, set(), Decision.REFUSE, bodies=HUB)]) is not None


def test_with_refusal_majority_each_body_decides_by_its_majority() -> None:
    hub = approve(4, set(), bodies=HUB)
    one_each = [hub, approve(2, set(), bodies=LSP), approve(3, set(), Decision.REFUSE, bodies=LSP)]
    # Its quorum has decided, tied: it waits for the third lead, and nothing moves.
    assert decide("sign_off_quorum", one_each, BY_MAJORITY) == (
        "the statutory partners are tied, 1 to 1"
    )
    assert decide("sign_off_refused", one_each, BY_MAJORITY) is not None
    approved = [*one_each, approve(5, set(), bodies=LSP)]
    assert decide("sign_off_quorum", approved, BY_MAJORITY) is None
    refused = [*one_each, approve(5, set(), Decision.REFUSE, bodies=LSP)]
    assert decide("sign_off_refused", refused, BY_MAJORITY) is None
    assert decide("sign_off_quorum", refused, BY_MAJORITY) == (
        "the statutory partners refused sign-off by a majority and asked for further assurance"
    )
    assert decide("sign_off_quorum", [hub], BY_MAJORITY) == (
        "0 of the 2 decisions needed from the statutory partners have been made"
    )


def test_an_audit_started_under_the_role_rule_decides_as_before() -> None:
    lhm, lsp = {"learning_hub_member"}, {"statutory_partner"}
    author_and_one = [approve(1, lhm), approve(2, lsp)]
    assert decide("sign_off_quorum", author_and_one, BY_ROLES) == (
        "1 of the 2 approvals needed have been given"
    )
    outsider = [approve(2, lsp), approve(3, {"agency_lead"})]
    assert decide("sign_off_quorum", outsider, BY_ROLES) is not None
    assert decide("sign_off_quorum", [approve(2, lsp), approve(3, lhm)], BY_ROLES) is None
    refused = [approve(2, lsp), approve(3, lhm), approve(4, lhm, Decision.REFUSE)]
    assert "Member 4 refused" in str(decide("sign_off_quorum", refused, BY_ROLES))
    assert decide("sign_off_refused", refused, BY_ROLES) is None
    author = [approve(1, lhm, Decision.REFUSE)]
    assert decide("sign_off_refused", author, BY_ROLES) is not None


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
