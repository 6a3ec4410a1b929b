"""Section 175's deep dive (issue 15, item 2) on SQLite and PostgreSQL: the sample is taken by
the rule the type declares or by hand, only at the deep dive, and replaced only with a reason;
each sampled setting's feedback is recorded (and replaced) only while feedback is given, by the
chair or coordinator, and the feedback gate waits for every sampled setting."""

from __future__ import annotations

import json
import math

import pytest
from sqlalchemy import select

from states.errors import GateBlocked, InvalidInput, NotFound, PermissionDenied
from states.persistence import tables as t
from states.services import audits, deep_dive, findings, queries
from states.services.deps import Deps
from tests.support.driver import Driver, drive
from tests.support.partnership import email
from tests.support.rules import CATALOGUE

COORDINATOR, CHAIR = email("coordinator"), email("chair")
# The driver's returns: police rates every standard green, csc amber, community health red.
RETURNED = ("community_health", "csc", "police")


def at_deep_dive(deps: Deps) -> str:
    return drive(deps, "section_175", to="deep_dive", theme="S175 deep dive").reference


def samples(deps: Deps, reference: str) -> list[tuple[str | None, int | None, list[str]]]:
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.sample.c.rule, t.sample.c.seed, t.sample.c.selected)
            .join(t.audit, t.audit.c.id == t.sample.c.audit_id)
            .where(t.audit.c.reference == reference)
            .order_by(t.sample.c.id)
        ).all()
    return [(rule, seed, json.loads(chosen)) for rule, seed, chosen in rows]


def test_the_shipped_rule_names_a_grade_of_the_tool() -> None:
    definition = CATALOGUE.current("section_175").definition
    tool = CATALOGUE.tool("section_175")
    assert definition.deep_dive is not None and tool is not None
    grades = {g.value for scale in tool.scales.values() for g in scale.grades}
    assert definition.deep_dive.rated in grades
    assert "partnership's own rule" in definition.description


def test_the_declared_rule_takes_every_red_and_its_share_of_the_rest(partnership: Deps) -> None:
    deps = partnership
    reference = at_deep_dive(deps)
    rule = CATALOGUE.current("section_175").definition.deep_dive
    assert rule is not None and (rule.rated, rule.percent_of_rest) == ("red", 10)

    draw = deep_dive.select_deep_dive(deps, audit=reference, actor=COORDINATOR, seed=3)
    assert "community_health" in draw.chosen
    assert len(draw.chosen) == 1 + math.ceil(2 * 10 / 100)
    assert set(draw.chosen) <= set(RETURNED)
    assert samples(deps, reference) == [
        ("every return rated red plus 10% of the rest", 3, draw.chosen)
    ]
    # The same seed draws the same sample; taking it again needs a reason.
    with pytest.raises(InvalidInput, match="say why it is being replaced"):
        deep_dive.select_deep_dive(deps, audit=reference, actor=COORDINATOR, seed=3)
    again = deep_dive.select_deep_dive(
        deps, audit=reference, actor=COORDINATOR, seed=3, reason="Checking the draw"
    )
    assert again.chosen == draw.chosen
    with pytest.raises(InvalidInput, match="'purple' is not a grade"):
        deep_dive.select_deep_dive(
            deps, audit=reference, actor=COORDINATOR, rated="purple", reason="Typo"
        )


def test_by_hand_only_settings_that_returned_and_it_replaces_the_rule(partnership: Deps) -> None:
    deps = partnership
    reference = at_deep_dive(deps)
    deep_dive.select_deep_dive(deps, audit=reference, actor=COORDINATOR, seed=3)
    with pytest.raises(InvalidInput, match="no submitted return from acute"):
        deep_dive.choose_deep_dive(
            deps, audit=reference, actor=CHAIR, settings=["police", "acute"], reason="Wider"
        )
    with pytest.raises(InvalidInput, match="Name at least one setting"):
        deep_dive.choose_deep_dive(deps, audit=reference, actor=CHAIR, settings=[" "])
    with pytest.raises(PermissionDenied):
        deep_dive.choose_deep_dive(
            deps, audit=reference, actor=email("lead.police"), settings=["police"], reason="Me"
        )
    draw = deep_dive.choose_deep_dive(
        deps, audit=reference, actor=CHAIR, settings=["police", "csc"], reason="Learning hub asked"
    )
    assert draw.chosen == ["csc", "police"]
    assert samples(deps, reference)[-1] == ("chosen by hand", None, ["csc", "police"])
    # Only the settings chosen last are in the deep dive.
    with deps.uow(readonly=True) as uow:
        assert deep_dive.deep_dive_setting(uow.connection, _audit_id(deps, reference), "csc")
        with pytest.raises(NotFound):
            deep_dive.deep_dive_setting(
                uow.connection, _audit_id(deps, reference), "community_health"
            )
    history = queries.history(deps, audit=reference)
    assert history[-1].trigger == "select_deep_dive"
    assert "Learning hub asked" in (history[-1].reason or "")


def test_the_sample_is_taken_only_at_the_deep_dive(partnership: Deps) -> None:
    deps = partnership
    planned = Driver.start(deps, "section_175").reference
    with pytest.raises(InvalidInput, match="not at its deep dive"):
        deep_dive.select_deep_dive(deps, audit=planned, actor=COORDINATOR)
    moderating = drive(deps, "section_11", to="moderation").reference
    with pytest.raises(InvalidInput, match="declares no rule for the deep dive"):
        deep_dive.select_deep_dive(deps, audit=moderating, actor=COORDINATOR)


def test_each_sampled_setting_gets_its_feedback_before_feedback_is_sent(
    partnership: Deps,
) -> None:
    deps = partnership
    reference = at_deep_dive(deps)
    draw = deep_dive.select_deep_dive(deps, audit=reference, actor=COORDINATOR, seed=3)
    with pytest.raises(InvalidInput, match="not at its feedback to sampled settings"):
        _feedback(deps, reference, draw.chosen[0], "Too early")
    for finding in findings.list_findings(deps, audit=reference):
        findings.moderate(deps, audit=reference, actor=CHAIR, finding_id=finding.id)
    audits.fire(deps, audit=reference, trigger="complete_deep_dive", actor=CHAIR)

    with pytest.raises(GateBlocked, match="individual feedback is still to be recorded"):
        audits.fire(deps, audit=reference, trigger="send_feedback", actor=COORDINATOR)
    not_chosen = next(code for code in RETURNED if code not in draw.chosen)
    with pytest.raises(NotFound, match="deep-dive setting"):
        _feedback(deps, reference, not_chosen, "Not in the deep dive")
    with pytest.raises(PermissionDenied):
        _feedback(deps, reference, draw.chosen[0], "Mine", actor=email("lead.police"))
    with pytest.raises(InvalidInput, match="Write the feedback"):
        _feedback(deps, reference, draw.chosen[0], "  ")
    with pytest.raises(InvalidInput, match="keep it to 10,000"):
        _feedback(deps, reference, draw.chosen[0], "x" * (deep_dive.FEEDBACK_LIMIT + 1))

    assert [_feedback(deps, reference, code, "First draft") for code in draw.chosen] == [
        False
    ] * len(draw.chosen)
    assert _feedback(deps, reference, draw.chosen[0], "Review the online safety policy.")
    with deps.uow(readonly=True) as uow:
        texts = set(
            uow.connection.execute(
                select(t.feedback.c.summary).where(
                    t.feedback.c.audit_id == _audit_id(deps, reference)
                )
            ).scalars()
        )
    assert texts == {"First draft", "Review the online safety policy."}
    fired = audits.fire(deps, audit=reference, trigger="send_feedback", actor=COORDINATOR)
    assert fired.to_state == "report_drafting"
    with pytest.raises(InvalidInput, match="not at its feedback"):
        _feedback(deps, reference, draw.chosen[0], "Too late")


def _feedback(deps: Deps, reference: str, setting: str, text: str, *, actor: str = CHAIR) -> bool:
    return deep_dive.record_feedback(
        deps, audit=reference, actor=actor, agency=setting, summary=text
    )


def _audit_id(deps: Deps, reference: str) -> int:
    with deps.uow(readonly=True) as uow:
        found = uow.connection.execute(
            select(t.audit.c.id).where(t.audit.c.reference == reference)
        ).scalar_one()
    return int(found)
