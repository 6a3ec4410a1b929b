"""Moderation at scale: findings listed by section, agency and case with the answers they came
from, many confirmed in one transaction, and each moderator kept to their reach."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from states.clock import FakeClock
from states.errors import InvalidInput, NotFound, PermissionDenied
from states.persistence import tables as t
from states.services import findings, moderation
from states.services.deps import Deps
from states.services.finding_views import FindingFilter
from tests.support.driver import FREE_TEXT, drive
from tests.support.partnership import email


def _events(deps: Deps, reference: str, trigger: str) -> int:
    with deps.uow(readonly=True) as uow:
        return int(
            uow.connection.execute(
                select(func.count())
                .select_from(t.event)
                .join(t.audit, t.audit.c.id == t.event.c.audit_id)
                .where(t.audit.c.reference == reference, t.event.c.trigger == trigger)
            ).scalar_one()
        )


def test_a_moderator_lists_findings_with_their_answers_by_case(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = drive(deps, "mace", to="moderation", theme="Listing").reference
    every = findings.list_findings(deps, audit=reference, actor=email("chair"))
    case = every[0].case
    assert case is not None
    gaps = findings.list_findings(
        deps,
        audit=reference,
        actor=email("chair"),
        shown=FindingFilter(section="timeliness", agency="csc", case=case),
    )
    assert {(f.section, f.agency, f.case) for f in gaps} == {("timeliness", "csc", case)}
    assert {f.kind for f in gaps} == {"rating", "strength", "gap"}
    gap = next(f for f in gaps if f.kind == "gap")
    assert gap.question is not None and gap.question.startswith("What delays or missed")
    assert gap.answer is not None and gap.answer.startswith(FREE_TEXT)
    rating = next(f for f in gaps if f.kind == "rating")
    assert rating.answer == rating.original_rating
    # The engine's own list (no moderator named) never carries an answer's words.
    assert all(f.answer is None for f in findings.list_findings(deps, audit=reference))
    with pytest.raises(InvalidInput, match="'nowhere' is not a section"):
        findings.list_findings(
            deps, audit=reference, actor=email("chair"), shown=FindingFilter(section="nowhere")
        )


def test_an_agency_lead_sees_and_confirms_only_their_own_agency(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = drive(deps, "section_11", to="moderation", theme="Reach").reference
    lead = email("lead.police")
    mine = findings.list_findings(deps, audit=reference, actor=lead)
    assert mine and {f.agency for f in mine} == {"police"}
    theirs = next(f for f in findings.list_findings(deps, audit=reference) if f.agency == "csc")
    with pytest.raises(PermissionDenied, match="not theirs to confirm"):
        moderation.confirm_findings(deps, audit=reference, actor=lead, ids=[mine[0].id, theirs.id])
    assert not any(f.moderated for f in findings.list_findings(deps, audit=reference))
    with pytest.raises(PermissionDenied):
        findings.list_findings(deps, audit=reference, actor=email("lsp.police"))

    done = moderation.confirm_findings(
        deps, audit=reference, actor=lead, shown=FindingFilter(unmoderated=True)
    )
    assert done == moderation.Confirmed(confirmed=len(mine), already_moderated=0)
    moderated = {f.agency for f in findings.list_findings(deps, audit=reference) if f.moderated}
    assert moderated == {"police"}


def test_confirming_many_is_one_event_and_never_undoes_a_change(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = drive(deps, "section_11", to="moderation", theme="Bulk").reference
    chair = email("chair")
    every = findings.list_findings(deps, audit=reference, actor=chair)
    changed = next(f for f in every if f.kind == "rating" and f.original_rating == "green")
    findings.change_rating(
        deps,
        audit=reference,
        actor=chair,
        finding_id=changed.id,
        rating="amber",
        rationale="The policy is not yet embedded",
    )
    with pytest.raises(NotFound):
        moderation.confirm_findings(deps, audit=reference, actor=chair, ids=[every[0].id, 999_999])
    with pytest.raises(InvalidInput, match="not both"):
        moderation.confirm_findings(deps, audit=reference, actor=chair)

    done = moderation.confirm_findings(
        deps, audit=reference, actor=chair, ids=[f.id for f in every]
    )
    assert done == moderation.Confirmed(confirmed=len(every) - 1, already_moderated=1)
    assert _events(deps, reference, "confirm_findings") == 1
    after = {f.id: f for f in findings.list_findings(deps, audit=reference)}
    assert all(f.moderated for f in after.values())
    assert after[changed.id].moderated_rating == "amber"
    kept = next(f for f in after.values() if f.id != changed.id and f.kind == "rating")
    assert kept.moderated_rating == kept.original_rating
