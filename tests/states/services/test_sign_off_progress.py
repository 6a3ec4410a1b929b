"""Sign-off progress body by body, on both stores: each body's members and decisions, its
quorum met or not, the author's own decision never counting, comments for the organisers
only, and a new round after a refusal."""

from __future__ import annotations

from states.rules.sign_off import Decision, Outcome
from states.services import audits, sign_off_progress, work
from states.services.deps import Deps
from tests.support.driver import drive
from tests.support.partnership import email, person_name

COMMENT = "Please evidence how the recommendations will be resourced."


def test_each_body_with_its_members_decisions_and_quorum(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", "awaiting_sign_off").reference
    for member in ("lhm", "lsp.police"):
        work.record_sign_off_decision(
            deps, audit=reference, actor=email(member), decision="approve"
        )
    found = sign_off_progress.progress_of(deps, audit=reference, viewer=email("coordinator"))
    assert found.signs_off and found.deciding and found.round == 1
    hub, partners = found.bodies
    assert (hub.title, hub.names, hub.quorum) == (
        "the learning hub",
        ("Northvale Learning Hub",),
        1,
    )
    assert (hub.approvals, hub.outcome) == (1, Outcome.APPROVED)
    members = {m.name: m for m in hub.members}
    assert members[person_name("lhm")].decision is Decision.APPROVE
    assert members[person_name("lhm")].decided_at is not None
    assert not members[person_name("chair")].counts, "the report's author"
    assert (partners.quorum, partners.approvals, partners.outcome) == (2, 1, Outcome.WAITING)
    assert len(partners.members) == 3
    assert found.outcome is Outcome.WAITING
    assert found.said == "1 of the 2 approvals needed from the statutory partners have been given"


def test_comments_for_the_organisers_and_a_new_round_after_a_refusal(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", "awaiting_sign_off").reference
    work.record_sign_off_decision(
        deps, audit=reference, actor=email("lsp.health"), decision="refuse", comment=COMMENT
    )

    def refusal(viewer: str) -> sign_off_progress.MemberView:
        found = sign_off_progress.progress_of(deps, audit=reference, viewer=email(viewer))
        assert found.outcome is Outcome.REFUSED
        assert found.said.startswith(person_name("lsp.health"))
        return next(m for m in found.bodies[1].members if m.decision is Decision.REFUSE)

    assert refusal("coordinator").comment == COMMENT
    assert refusal("chair").comment == COMMENT
    assert refusal("lhm").comment is None
    audits.fire(
        deps,
        audit=reference,
        trigger="request_further_assurance",
        actor=email("coordinator"),
        reason="Refused at sign-off",
    )
    between = sign_off_progress.progress_of(deps, audit=reference, viewer=email("coordinator"))
    assert between.round == 1 and not between.deciding
    audits.fire(
        deps,
        audit=reference,
        trigger="resubmit_for_sign_off",
        actor=email("chair"),
        reason="Resourcing evidenced in the recommendations",
    )
    again = sign_off_progress.progress_of(deps, audit=reference, viewer=email("coordinator"))
    assert again.round == 2 and again.deciding and again.outcome is Outcome.WAITING
    assert all(m.decision is None for body in again.bodies for m in body.members)
