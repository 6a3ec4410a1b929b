"""The moderation page's findings: a page at a time, grouped by section, agency and case, with
who moderated each and why, how far moderation has got, and a cost that does not grow with the
page (no statement per finding)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event

from states.clock import FakeClock
from states.errors import InvalidInput, PermissionDenied
from states.services import findings
from states.services.deps import Deps
from states.services.finding_views import FindingFilter
from states.services.moderation_page import FindingsPage, findings_page
from tests.support.driver import FREE_TEXT, drive
from tests.support.partnership import agency_name, email, person_name

# drive(..., "mace", "moderation"): 3 cases, 3 agencies, 25 findings per case audit.
TOTAL = 225


@pytest.fixture
def reference(partnership: Deps, clock: FakeClock) -> str:
    return drive(partnership, "mace", "moderation", theme="Moderation page").reference


def _every_page(deps: Deps, reference: str, **shown: Any) -> list[FindingsPage]:
    first = findings_page(deps, audit=reference, actor=email("chair"), **shown)
    return [first] + [
        findings_page(deps, audit=reference, actor=email("chair"), page=n, **shown)
        for n in range(2, first.pages + 1)
    ]


def test_findings_come_a_page_at_a_time_grouped_by_section_then_agency(
    partnership: Deps, reference: str
) -> None:
    pages = _every_page(partnership, reference)
    assert [p.page for p in pages] == [1, 2, 3, 4, 5] and pages[0].matching == TOTAL
    listed = [m for p in pages for m in p.findings]
    assert len({m.finding.id for m in listed}) == TOTAL == len(listed)
    sections = [s.value for s in pages[0].sections]
    order = [(sections.index(m.finding.section or ""), m.agency_name) for m in listed]
    assert order == sorted(order), "each section's findings together, agency by agency"
    first = listed[0]
    assert first.finding.section == "lived_experience"
    assert first.agency_name == agency_name("csc") == pages[0].agencies[0].label
    assert first.finding.question and first.finding.answer
    gap = next(m for m in listed if m.finding.kind == "gap")
    assert gap.grades == () and gap.finding.answer.startswith(FREE_TEXT)  # type: ignore[union-attr]
    rating = next(m for m in listed if m.finding.kind == "rating")
    assert [g.value for g in rating.grades] == [
        "outstanding",
        "good",
        "requires_improvement",
        "inadequate",
    ]
    assert pages[0].grade_labels["requires_improvement"] == "Requires improvement"
    assert pages[0].open and pages[0].stage == "Moderation"
    assert pages[0].overall.total == TOTAL and pages[0].overall.moderated == 0
    assert sum(p.total for p in pages[0].by_section) == TOTAL
    # Past the last page is the last page, not an empty one.
    beyond = findings_page(partnership, audit=reference, actor=email("chair"), page=99)
    assert beyond.page == 5 and len(beyond.findings) == TOTAL - 4 * 50


def test_progress_and_who_moderated_with_their_rationale(partnership: Deps, reference: str) -> None:
    deps = partnership
    chosen = FindingFilter(section="timeliness", agency="police")
    shown = findings_page(deps, audit=reference, actor=email("chair"), shown=chosen)
    assert shown.matching == 9 and {m.finding.agency for m in shown.findings} == {"police"}
    rating, strength = (
        next(m.finding for m in shown.findings if m.finding.kind == kind)
        for kind in ("rating", "strength")
    )
    findings.change_rating(
        deps,
        audit=reference,
        actor=email("auditor.one"),
        finding_id=rating.id,
        rating="requires_improvement",
        rationale="The records show a four-week delay.",
    )
    findings.moderate(deps, audit=reference, actor=email("chair"), finding_id=strength.id)

    after = findings_page(deps, audit=reference, actor=email("chair"), shown=chosen)
    moderated = {m.finding.id: m for m in after.findings if m.finding.moderated}
    assert moderated[rating.id].moderated_by == person_name("auditor.one")
    assert moderated[rating.id].rationale == "The records show a four-week delay."
    assert moderated[rating.id].finding.moderated_rating == "requires_improvement"
    assert moderated[strength.id].moderated_by == person_name("chair")
    assert (after.overall.moderated, after.overall.total) == (2, TOTAL)
    timeliness = next(p for p in after.by_section if p.key == "timeliness")
    assert (timeliness.moderated, timeliness.total) == (2, 27)
    waiting = findings_page(
        deps,
        audit=reference,
        actor=email("chair"),
        shown=FindingFilter(section="timeliness", agency="police", unmoderated=True),
    )
    assert waiting.matching == 7 and not any(m.finding.moderated for m in waiting.findings)


def test_only_those_who_moderate_see_the_page_each_within_reach(
    partnership: Deps, reference: str
) -> None:
    deps = partnership
    with pytest.raises(PermissionDenied):
        findings_page(deps, audit=reference, actor=email("lhm"))
    with pytest.raises(PermissionDenied):
        findings_page(deps, audit=reference, actor=email("coordinator"))
    own = findings_page(deps, audit=reference, actor=email("lead.police"))
    assert [a.value for a in own.agencies] == ["police"] and own.overall.total == TOTAL // 3
    with pytest.raises(InvalidInput, match="'nowhere' is not a section"):
        findings_page(
            deps, audit=reference, actor=email("chair"), shown=FindingFilter(section="nowhere")
        )


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    said: list[str] = []

    def count(*args: Any) -> None:
        said.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield said
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_page_costs_the_same_statements_however_many_findings_it_shows(
    partnership: Deps, reference: str, engine: Engine
) -> None:
    def statements(per_page: int) -> int:
        findings_page(partnership, audit=reference, actor=email("chair"), per_page=per_page)
        with _statements(engine) as said:
            shown = findings_page(
                partnership, audit=reference, actor=email("chair"), per_page=per_page
            )
        assert len(shown.findings) == per_page
        return len(said)

    assert statements(2) == statements(100)
