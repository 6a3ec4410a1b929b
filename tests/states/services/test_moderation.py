"""Moderation: ratings confirmed or changed with a rationale, originals kept, gate honest."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from states.clock import FakeClock
from states.errors import GateBlocked, InvalidInput, NotFound, PermissionDenied
from states.persistence import tables as t
from states.services import audits, findings, returns
from states.services.deps import Deps
from tests.support.driver import complete_answers, drive
from tests.support.partnership import email


def _at_moderation(deps: Deps, clock: FakeClock) -> str:
    return drive(deps, "section_11", to="moderation", theme="Moderation").reference


def test_ratings_are_confirmed_or_changed_with_a_rationale(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = _at_moderation(deps, clock)
    items = findings.list_findings(deps, audit=reference)
    ratings = [f for f in items if f.kind == "rating"]
    police = next(f for f in ratings if f.agency == "police")
    assert police.original_rating == "green" and not police.moderated

    with pytest.raises(InvalidInput, match="Give the rationale"):
        findings.moderate(
            deps, audit=reference, actor=email("chair"), finding_id=police.id, rating="amber"
        )
    with pytest.raises(InvalidInput, match="'purple' is not on the scale"):
        findings.moderate(
            deps,
            audit=reference,
            actor=email("chair"),
            finding_id=police.id,
            rating="purple",
            rationale="x",
        )
    csc = next(f for f in ratings if f.agency == "csc")
    with pytest.raises(PermissionDenied, match="only their own agency's findings"):
        findings.moderate(deps, audit=reference, actor=email("lead.police"), finding_id=csc.id)
    findings.moderate(
        deps,
        audit=reference,
        actor=email("chair"),
        finding_id=police.id,
        rating="amber",
        rationale="Evidence shows the policy is not yet embedded",
    )
    with deps.uow(readonly=True) as uow:
        kept = uow.connection.execute(
            select(
                t.finding.c.original_rating, t.finding.c.moderated_rating, t.finding.c.rationale
            ).where(t.finding.c.id == police.id)
        ).one()
    assert tuple(kept) == ("green", "amber", "Evidence shows the policy is not yet embedded")

    with pytest.raises(GateBlocked, match=f"{len(items) - 1} of {len(items)} findings"):
        audits.fire(deps, audit=reference, trigger="complete_moderation", actor=email("chair"))
    for finding in items:
        if finding.id != police.id:
            findings.moderate(deps, audit=reference, actor=email("chair"), finding_id=finding.id)
    assert (
        audits.fire(
            deps, audit=reference, trigger="complete_moderation", actor=email("chair")
        ).to_state
        == "feedback_to_agencies"
    )


def test_strengths_and_gaps_can_only_be_confirmed(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    reference = _at_moderation(deps, clock)
    gap = next(f for f in findings.list_findings(deps, audit=reference) if f.kind == "gap")
    with pytest.raises(InvalidInput, match="Only ratings can be changed"):
        findings.moderate(
            deps,
            audit=reference,
            actor=email("chair"),
            finding_id=gap.id,
            rating="red",
            rationale="x",
        )
    with pytest.raises(NotFound):
        findings.moderate(deps, audit=reference, actor=email("chair"), finding_id=999_999)


def test_moderation_waits_for_its_stage(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    reference = drive(deps, "section_11", to="returns_open", theme="Early").reference
    tool = deps.catalogue.tool("section_11")
    assert tool is not None
    returns.submit(
        deps,
        audit=reference,
        actor=email("lead.police"),
        agency="police",
        answers=complete_answers(tool),
    )
    first = findings.list_findings(deps, audit=reference)[0]
    with pytest.raises(InvalidInput, match="not at moderation"):
        findings.moderate(deps, audit=reference, actor=email("chair"), finding_id=first.id)
