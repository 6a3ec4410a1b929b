"""The aggregates reports use, on SQLite and PostgreSQL.

Returns are submitted through the real services with known answers, so every count is
exact: drafts are left out, a moderated rating replaces the answer, and training measures
are compared across the three phases. A sentinel phrase typed into free-text answers must
never come back in any result or in the CLI's output.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from states.clock import LONDON, FakeClock
from states.definitions.tool import ToolDefinition
from states.errors import UnknownAuditType
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services import attendees, audits, findings, returns
from states.services.aggregation import (
    AuditAggregates,
    Distribution,
    FindingCounts,
    MeasureImpact,
    PhaseScore,
    audit_aggregates,
    theme_distributions,
)
from states.services.deps import Deps
from states.services.report_data import gather_figures
from tests.support.cli import oscp
from tests.support.driver import FREE_TEXT, RETURNING, Driver, complete_answers
from tests.support.partnership import email, seed_partnership

SENTINEL = "SENTINEL-CHILD-NAME"
AGENCIES = list(RETURNING)  # police, csc, community_health: complete_answers variants 0, 1, 2
MACE_GRADES = ("outstanding", "good", "requires_improvement", "inadequate")
RAG = ("green", "amber", "red")


def _start(deps: Deps, clock: FakeClock, audit_type: str, theme: str, goal: str) -> Driver:
    reference = audits.start_audit(
        deps, audit_type=audit_type, theme=theme, lead=email("chair"), actor=email("coordinator")
    ).reference
    driver = Driver(deps, reference, started_on=clock.now().astimezone(LONDON).date())
    driver.advance(goal)
    return driver


def _tool(deps: Deps, audit_type: str) -> ToolDefinition:
    tool = deps.catalogue.tool(audit_type)
    assert tool is not None
    return tool


def _submit(deps: Deps, reference: str, agency: str, answers: dict[str, object], **kw: str) -> None:
    returns.submit(
        deps, audit=reference, actor=email(RETURNING[agency]), agency=agency, answers=answers, **kw
    )


def _by_key(rows: tuple[Distribution, ...]) -> dict[str, dict[str, int]]:
    return {d.key: d.as_dict() for d in rows}


def _findings(rows: tuple[FindingCounts, ...]) -> dict[str | None, FindingCounts]:
    return {f.key: f for f in rows}


# --- MACE: per case, one scale, EEDI section, concerns --------------------------------------


def _mace_answers(tool: ToolDefinition, n: int, case: int) -> dict[str, object]:
    """Every rating is grade n (police outstanding, CSC good, health requires improvement)."""
    answers = complete_answers(tool, variant=n)
    # Blank, not left out: left out, submitting would keep the draft's answer.
    answers["immediate_risk_concern"] = ""
    if (n, case) == (0, 1):
        answers["immediate_risk_concern"] = f"{SENTINEL} is at immediate risk at home"
    if (n, case) == (1, 2):
        answers["lived_experience_good_practice"] = f"{SENTINEL} was seen alone at school"
    if (n, case) == (2, 1):
        answers["family_understood_plan"] = "yes"
    return answers


def _mace_with_a_draft(deps: Deps, clock: FakeClock) -> str:
    """Three cases x three agencies; health's return on the third case is left as a draft."""
    reference = _start(deps, clock, "mace", "Domestic abuse", "returns_open").reference
    tool = _tool(deps, "mace")
    for case in (1, 2, 3):
        for n, agency in enumerate(AGENCIES):
            case_ref = f"{reference}-C{case:02d}"
            if (n, case) == (2, 3):
                returns.save_draft(
                    deps,
                    audit=reference,
                    actor=email(RETURNING[agency]),
                    agency=agency,
                    case=case_ref,
                    answers=complete_answers(tool, variant=3),  # every rating inadequate
                )
                continue
            _submit(deps, reference, agency, _mace_answers(tool, n, case), case=case_ref)
    return reference


def _finish_and_moderate(deps: Deps, reference: str) -> None:
    tool = _tool(deps, "mace")
    _submit(deps, reference, "community_health", _mace_answers(tool, 2, 3), case=f"{reference}-C03")
    audits.fire(deps, audit=reference, trigger="close_returns", actor=email("coordinator"))
    listed = {
        (f.agency, f.case, f.question_id): f.id
        for f in findings.list_findings(deps, audit=reference)
        if f.kind == "rating"
    }
    chair = email("chair")
    findings.moderate(
        deps,
        audit=reference,
        actor=chair,
        finding_id=listed["police", f"{reference}-C01", "overall_rating"],
        rating="good",
        rationale="Outstanding is not evidenced across the agencies.",
    )
    findings.moderate(
        deps,
        audit=reference,
        actor=chair,
        finding_id=listed["csc", f"{reference}-C01", "eedi_rating"],
    )


def _assert_no_free_text(*found: object) -> None:
    for result in found:
        assert SENTINEL not in repr(result)
        assert FREE_TEXT not in repr(result)


def test_drafts_are_left_out(partnership: Deps, clock: FakeClock) -> None:
    reference = _mace_with_a_draft(partnership, clock)
    found = audit_aggregates(partnership, audit=reference)

    assert (found.returns_submitted, found.returns_not_submitted) == (8, 1)
    assert _by_key(found.by_question)["lived_experience_rating"] == dict(
        zip(MACE_GRADES, (3, 3, 2, 0), strict=True)
    )
    assert _by_key(found.by_agency) == {
        "community_health": dict(zip(MACE_GRADES, (0, 0, 18, 0), strict=True)),
        "csc": dict(zip(MACE_GRADES, (0, 27, 0, 0), strict=True)),
        "police": dict(zip(MACE_GRADES, (27, 0, 0, 0), strict=True)),
    }
    # 8 returns x (9 ratings + 8 strengths + 8 gaps), plus police's one immediate-risk concern.
    assert found.findings == FindingCounts("all", 64, 64, 1, 72, 0)
    _assert_no_free_text(found)


def test_a_reopened_return_counts_again_only_once_resubmitted(
    partnership: Deps, clock: FakeClock
) -> None:
    reference = _mace_with_a_draft(partnership, clock)
    first_case = f"{reference}-C01"
    returns.reopen(
        partnership,
        audit=reference,
        actor=email("coordinator"),
        agency="police",
        case=first_case,
        reason="The auditor read the wrong agency's records.",
    )
    found = audit_aggregates(partnership, audit=reference)
    assert (found.returns_submitted, found.returns_not_submitted) == (7, 2)
    assert _by_key(found.by_agency)["police"] == dict(zip(MACE_GRADES, (18, 0, 0, 0), strict=True))
    assert found.findings == FindingCounts("all", 56, 56, 0, 63, 0)

    answers = complete_answers(_tool(partnership, "mace"), variant=3)  # every rating inadequate
    answers["immediate_risk_concern"] = ""
    _submit(partnership, reference, "police", answers, case=first_case)
    found = audit_aggregates(partnership, audit=reference)
    assert _by_key(found.by_agency)["police"] == dict(zip(MACE_GRADES, (18, 0, 0, 9), strict=True))
    assert _by_key(found.by_question)["overall_rating"] == dict(
        zip(MACE_GRADES, (2, 3, 2, 1), strict=True)
    )
    assert found.findings == FindingCounts("all", 64, 64, 0, 72, 0)
    _assert_no_free_text(found)


def test_moderated_ratings_replace_the_answers(partnership: Deps, clock: FakeClock) -> None:
    reference = _mace_with_a_draft(partnership, clock)
    _finish_and_moderate(partnership, reference)
    found = audit_aggregates(partnership, audit=reference)

    assert (found.returns_submitted, found.returns_not_submitted) == (9, 0)
    questions = _by_key(found.by_question)
    assert list(questions) == [
        "lived_experience_rating",
        "other_children_rating",
        "timeliness_rating",
        "communication_rating",
        "engagement_rating",
        "assessment_planning_rating",
        "impact_outcome_rating",
        "eedi_rating",
        "overall_rating",
    ]
    assert questions["overall_rating"] == dict(zip(MACE_GRADES, (2, 4, 3, 0), strict=True))
    assert questions["eedi_rating"] == dict(zip(MACE_GRADES, (3, 3, 3, 0), strict=True))
    sections = _by_key(found.by_section)
    assert sections["reflection"] == questions["overall_rating"]
    assert sections["lived_experience"] == dict(zip(MACE_GRADES, (3, 3, 3, 0), strict=True))
    assert _by_key(found.by_agency)["police"] == dict(zip(MACE_GRADES, (26, 1, 0, 0), strict=True))
    assert all(d.values == MACE_GRADES for d in found.by_section + found.by_agency)
    _assert_mace_findings(found)
    _assert_mace_eedi(found)
    _assert_no_free_text(found)


def _assert_mace_findings(found: AuditAggregates) -> None:
    assert found.findings == FindingCounts("all", 72, 72, 1, 81, 2)
    by_section = _findings(found.findings_by_section)
    assert by_section["lived_experience"] == FindingCounts("lived_experience", 9, 9, 0, 9, 0)
    assert by_section["immediate_risk"] == FindingCounts("immediate_risk", 0, 0, 1, 0, 0)
    assert by_section["reflection"] == FindingCounts("reflection", 0, 0, 0, 9, 1)
    assert list(by_section) == [  # the tool's order
        "lived_experience",
        "other_children",
        "timeliness",
        "communication",
        "engagement",
        "assessment_planning",
        "impact_outcome",
        "eedi",
        "reflection",
        "immediate_risk",
    ]
    by_agency = _findings(found.findings_by_agency)
    assert by_agency["police"] == FindingCounts("police", 24, 24, 1, 27, 1)
    assert by_agency["csc"] == FindingCounts("csc", 24, 24, 0, 27, 1)
    assert None not in by_agency  # the panel recorded nothing of its own


def _assert_mace_eedi(found: AuditAggregates) -> None:
    eedi = found.eedi
    assert eedi.questions == (
        "family_understood_plan",
        "identity_understood",
        "communication_needs_met",
        "eedi_rating",
        "eedi_good_practice",
        "eedi_gaps",
    )
    assert _by_key(eedi.ratings) == {"eedi": dict(zip(MACE_GRADES, (3, 3, 3, 0), strict=True))}
    answers = _by_key(eedi.answers)
    assert answers["family_understood_plan"] == {"yes": 4, "no": 2, "partly": 3}
    assert answers["identity_understood"] == {"yes": 3, "no": 3, "partly": 3}
    # "There were no particular communication needs" counts as none: not a column at all.
    assert answers["communication_needs_met"] == {"met": 9, "partly_met": 0, "not_met": 0}
    assert eedi.findings == FindingCounts("eedi", 9, 9, 0, 9, 1)


def test_a_panel_finding_counts_without_a_section_or_agency(
    partnership: Deps, clock: FakeClock
) -> None:
    reference = _mace_with_a_draft(partnership, clock)
    _finish_and_moderate(partnership, reference)
    findings.record_finding(
        partnership, audit=reference, actor=email("chair"), kind="gap", summary=SENTINEL
    )
    found = audit_aggregates(partnership, audit=reference)
    assert _findings(found.findings_by_section)[None] == FindingCounts(None, gaps=1)
    assert _findings(found.findings_by_agency)[None] == FindingCounts(None, gaps=1)
    assert found.findings == FindingCounts("all", 72, 73, 1, 81, 2)
    _assert_no_free_text(found)


# --- Section 175: per agency, a scale per section with the same grades, themes ---------------


def _s175(deps: Deps, clock: FakeClock, theme: str, submitting: int) -> str:
    reference = _start(deps, clock, "section_175", theme, "returns_open").reference
    tool = _tool(deps, "section_175")
    for n, agency in enumerate(AGENCIES):
        answers = complete_answers(tool, variant=n)  # police green, CSC amber, health red
        answers["dsl_improvement"] = f"Speak to {SENTINEL}'s family"
        if n < submitting:
            _submit(deps, reference, agency, answers)
        else:
            returns.save_draft(
                deps,
                audit=reference,
                actor=email(RETURNING[agency]),
                agency=agency,
                answers=answers,
            )
    return reference


def test_scales_with_the_same_grades_fold_together_and_themes_compare(
    partnership: Deps, clock: FakeClock
) -> None:
    autumn = _s175(partnership, clock, "Autumn term 2026", submitting=3)
    _s175(partnership, clock, "Spring term 2027", submitting=1)
    found = audit_aggregates(partnership, audit=autumn)

    assert len(found.by_question) == 11
    assert all(d.as_dict() == {"green": 1, "amber": 1, "red": 1} for d in found.by_section)
    assert _by_key(found.by_agency) == {
        "community_health": {"green": 0, "amber": 0, "red": 11},
        "csc": {"green": 0, "amber": 11, "red": 0},
        "police": {"green": 11, "amber": 0, "red": 0},
    }
    assert found.findings == FindingCounts("all", 3, 33, 0, 33, 0)
    assert found.eedi.ratings == ()
    assert _by_key(found.eedi.answers) == {
        "all_pupils_can_raise_worries": {"yes": 1, "no": 1, "partly": 1}
    }
    themes = theme_distributions(partnership, audit_type="section_175")
    assert themes == (
        Distribution("Autumn term 2026", RAG, (11, 11, 11)),
        Distribution("Spring term 2027", RAG, (11, 0, 0)),
    )
    assert theme_distributions(partnership, audit_type="mace") == ()
    with pytest.raises(UnknownAuditType):
        theme_distributions(partnership, audit_type="section_157")
    _assert_no_free_text(found, themes)


# --- Training impact: three phases, measures compared ---------------------------------------

SCORES = {5: "very_high", 4: "high", 3: "moderate", 2: "low", 1: "very_low"}
# phase -> score per agency (police, CSC, health), the same for every measure but pathways.
PHASE_SCORES = {"before": (1, 2, 3), "after": (3, 4, 5), "follow_up": (4, 4, 4)}
PATHWAYS_BEFORE = 5


def _training_answers(tool: ToolDefinition, phase: str, n: int) -> dict[str, object]:
    answers = complete_answers(tool, phase=phase)
    for section, q in tool.questions():
        if section.phase == phase and q.measure:
            score = PHASE_SCORES[phase][n]
            if (phase, q.measure) == ("before", "knowledge_of_pathways"):
                score = PATHWAYS_BEFORE
            answers[q.id] = SCORES[score]
    if phase == "follow_up":
        answers["practice_change_examples"] = f"{SENTINEL}'s school now shares concerns sooner"
    return answers


# agency -> the cohort of its one attendee on the neglect course
COHORTS = {"police": "2026-09", "csc": "2026-09", "community_health": "2026-10"}


def _training_audit(deps: Deps, clock: FakeClock) -> str:
    driver = _start(deps, clock, "training_impact", "Neglect (GCP2)", "pre_course_returns_open")
    reference, tool = driver.reference, _tool(deps, "training_impact")
    attendee = {
        agency: attendees.register_attendees(
            deps,
            audit=reference,
            actor=email("coordinator"),
            new=attendees.attendees(agency=agency, course="Neglect", cohort=cohort, count=1),
        )[0]
        for agency, cohort in COHORTS.items()
    }
    rounds = (
        ("before", "close_pre_course_returns", "post_course_returns_open"),
        ("after", "close_post_course_returns", "follow_up_returns_open"),
        ("follow_up", "close_follow_up_returns", None),
    )
    for phase, close, next_open in rounds:
        for n, agency in enumerate(AGENCIES):
            answers = _training_answers(tool, phase, n)
            _submit(deps, reference, agency, answers, case=attendee[agency])
        audits.fire(deps, audit=reference, trigger=close, actor=email("coordinator"))
        clock.advance(timedelta(days=7))
        if next_open is not None:
            driver.advance(next_open)
    toolkit = next(
        f.id
        for f in findings.list_findings(deps, audit=reference)
        if (f.agency, f.question_id) == ("community_health", "follow_up_toolkit")
    )
    findings.moderate(
        deps,
        audit=reference,
        actor=email("chair"),
        finding_id=toolkit,
        rating="low",
        rationale="The cohort has started no GCP2 assessments yet.",
    )
    return reference


def test_training_impact_compares_the_three_phases(partnership: Deps, clock: FakeClock) -> None:
    reference = _training_audit(partnership, clock)
    found = audit_aggregates(partnership, audit=reference)
    assert found.returns_submitted == 9
    impact = {m.measure: m for m in found.training}
    assert list(impact) == [
        "confidence_recognising_neglect",
        "knowledge_of_pathways",
        "confidence_using_toolkit",
        "confidence_child_lived_experience",
    ]
    assert impact["confidence_recognising_neglect"] == MeasureImpact(
        "confidence_recognising_neglect",
        5,
        PhaseScore(3, 2.0),
        PhaseScore(3, 4.0),
        PhaseScore(3, 4.0),
    )
    recognising = impact["confidence_recognising_neglect"]
    assert (recognising.after_delta, recognising.follow_up_delta) == (2.0, 2.0)
    pathways = impact["knowledge_of_pathways"]
    assert (pathways.before.mean, pathways.after_delta, pathways.follow_up_delta) == (5, -1, -1)
    toolkit = impact["confidence_using_toolkit"]  # health's follow-up moderated high -> low
    assert toolkit.follow_up.responses == 3
    assert toolkit.follow_up.mean == pytest.approx(10 / 3)
    assert toolkit.follow_up_delta == pytest.approx(4 / 3)
    _assert_no_free_text(found)


def test_a_cohort_smaller_than_the_smallest_group_shows_no_averages_of_its_own(
    partnership: Deps, clock: FakeClock
) -> None:
    """Cohorts of two and one: their averages would be one or two people's own answers, so
    the report keeps them in the all-attendees table only."""
    figures = gather_figures(partnership, audit=_training_audit(partnership, clock))
    assert [(c.attendees, c.rows) for c in figures.training_by_cohort] == [(2, ()), (1, ())]
    assert figures.training  # still counted among all attendees


def test_training_impact_is_read_per_course_and_cohort(partnership: Deps, clock: FakeClock) -> None:
    """Police's and CSC's attendees are one cohort, health's another: each cohort's means are
    over its own attendees' returns."""
    found = audit_aggregates(partnership, audit=_training_audit(partnership, clock))
    cohorts = {(c.course, c.cohort): c for c in found.training_by_cohort}
    assert [(k, c.attendees) for k, c in cohorts.items()] == [
        (("Neglect", "2026-09"), 2),
        (("Neglect", "2026-10"), 1),
    ]
    first = {m.measure: m for m in cohorts["Neglect", "2026-09"].measures}
    assert first["confidence_recognising_neglect"] == MeasureImpact(
        "confidence_recognising_neglect",
        5,
        PhaseScore(2, 1.5),
        PhaseScore(2, 3.5),
        PhaseScore(2, 4.0),
    )
    second = {m.measure: m for m in cohorts["Neglect", "2026-10"].measures}
    recognising = second["confidence_recognising_neglect"]
    assert (recognising.before.mean, recognising.after.mean, recognising.follow_up.mean) == (
        3,
        5,
        4,
    )


def test_no_training_measures_without_phases(partnership: Deps, clock: FakeClock) -> None:
    reference = _s175(partnership, clock, "Autumn term 2026", submitting=1)
    found = audit_aggregates(partnership, audit=reference)
    assert found.training == () and found.training_by_cohort == ()


# --- The CLI, as a person runs it ------------------------------------------------------------


def _row(output: str, first_cell: str, after: str = "") -> list[str]:
    """The cells of the first table row starting with ``first_cell`` after the line ``after``."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    for line in lines[start:]:
        cells = [c.strip() for c in line.replace("┃", "│").split("│")]
        if len(cells) > 2 and cells[1] == first_cell:
            return cells[1:-1]
    raise AssertionError(f"no row {first_cell!r} after {after!r} in:\n{output}")


@pytest.mark.slow
def test_the_cli_shows_counts_and_no_free_text(
    sqlite_engine: Engine, catalogue: Catalogue, clock: FakeClock, tmp_path: Path
) -> None:
    # The SQLite fixture's file is where OSCP_HOME=tmp_path points the CLI.
    deps = Deps(uow=UnitOfWorkFactory(sqlite_engine), catalogue=catalogue, clock=clock)
    seed_partnership(deps)
    mace = _mace_with_a_draft(deps, clock)
    _finish_and_moderate(deps, mace)
    training = _training_audit(deps, clock)

    shown = oscp(tmp_path, "audit", "findings", mace)
    assert shown.exit_code == 0, shown.stderr
    text = shown.stdout
    title = "Thematic multi-agency case file audit (MACE)"
    assert f"{mace} ({title}): 9 submitted returns counted, 0 not submitted left out." in text
    assert _row(text, "lived_experience", "Ratings by section") == ["lived_experience", *"33309"]
    assert _row(text, "reflection", "Ratings by section") == ["reflection", *"24309"]
    assert _row(text, "police", "Ratings by agency") == ["police", "26", "1", "0", "0", "27"]
    assert _row(text, "immediate_risk", "by section") == ["immediate_risk", *"0010", "0 of 1"]
    by_agency = "Strengths, gaps and concerns by agency"
    assert _row(text, "police", by_agency) == ["police", "24", "24", "1", "27", "1 of 76"]
    assert "Moderation: 2 of 226 findings moderated (1%), 224 to go." in text
    assert "EEDI: ratings outstanding 3, good 3, requires_improvement 3, inadequate 0;" in text
    assert "family_understood_plan yes 4, no 2, partly 3;" in text
    assert "Training impact" not in text

    trained = oscp(tmp_path, "audit", "findings", training)
    assert trained.exit_code == 0, trained.stderr
    assert _row(trained.stdout, "confidence_using_toolkit", "Training impact") == [
        "confidence_using_toolkit",
        "2.00 (3)",
        "4.00 (3)",
        "3.33 (3)",
        "+2.00",
        "+1.33",
    ]
    missing = oscp(tmp_path, "audit", "findings", "AUD-NOPE")
    assert missing.exit_code == 1 and "No audit 'AUD-NOPE' was found" in missing.stderr
    for result in (shown, trained, missing):
        assert SENTINEL not in result.stdout + result.stderr
        assert FREE_TEXT not in result.stdout
