"""The moderation page's findings: a page at a time, grouped by section, agency and case, with
who moderated each and why, how far moderation has got, and a cost that does not grow with the
page (no statement per finding)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, insert, select

from states.clock import FakeClock
from states.errors import InvalidInput, PermissionDenied
from states.persistence import tables as t
from states.persistence.store import AuditStore
from states.services import findings, moderation
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


def _in_list_order(deps: Deps, reference: str, who: str, shown: FindingFilter) -> list[int]:
    """The ids of the findings ``who`` may moderate, as ``shown`` narrows them, sorted here as
    the page lists them: section (the panel's own last), agency name, case, id."""
    tool = deps.catalogue.tool("mace")
    assert tool is not None
    place = {s.id: n for n, s in enumerate(tool.sections)}
    listed = findings.list_findings(deps, audit=reference, actor=email(who), shown=shown)
    return [
        v.id
        for v in sorted(
            listed,
            key=lambda v: (
                place.get(v.section or "", len(place)),
                v.agency is None,
                agency_name(v.agency) if v.agency else "",
                v.case or "",
                v.id,
            ),
        )
    ]


@pytest.mark.parametrize("per_page", [7, 50])
def test_pages_put_together_are_the_whole_list_in_order(
    partnership: Deps, reference: str, per_page: int
) -> None:
    """However the list is cut into pages and narrowed, its pages are the findings in order,
    each once: across sections, agencies, the panel's own, and after some are moderated."""
    deps = partnership
    findings.record_finding(
        deps, audit=reference, actor=email("chair"), kind="gap", summary="Seen across cases"
    )
    some = findings.list_findings(deps, audit=reference)[::4]
    moderation.confirm_findings(
        deps, audit=reference, actor=email("chair"), ids=[f.id for f in some]
    )
    for who, shown in [
        ("chair", FindingFilter()),
        ("chair", FindingFilter(unmoderated=True)),
        ("chair", FindingFilter(agency="csc")),
        ("lead.police", FindingFilter(section="timeliness", unmoderated=True)),
    ]:
        first = findings_page(
            deps, audit=reference, actor=email(who), shown=shown, per_page=per_page
        )
        pages = [first] + [
            findings_page(
                deps, audit=reference, actor=email(who), shown=shown, page=n, per_page=per_page
            )
            for n in range(2, first.pages + 1)
        ]
        expected = _in_list_order(deps, reference, who, shown)
        assert [m.finding.id for p in pages for m in p.findings] == expected, (who, shown)
        assert first.matching == len(expected)


def _grow(deps: Deps, reference: str, times: int) -> None:
    """``times`` as many cases, each new one a copy of a driven case: its returns and their
    findings, written as submission leaves them (in bulk: the services would take minutes)."""
    c = t.case
    with deps.uow() as uow:
        db = uow.connection
        audit_id = AuditStore(db).load_audit(reference).id
        cases = db.execute(select(c).where(c.c.audit_id == audit_id)).mappings().all()
        for n in range(1, times):
            for case_row in cases:
                made = {k: v for k, v in case_row.items() if k != "id"}
                made["reference"] = f"{case_row['reference']}-{n:02d}"
                case_id = db.execute(insert(c).values(made).returning(c.c.id)).scalar_one()
                _copy_returns(db, int(case_row["id"]), case_id)
        uow.commit()


def _copy_returns(db: Connection, case_id: int, copy_id: int) -> None:
    r, f = t.audit_return, t.finding
    for returned in db.execute(select(r).where(r.c.case_id == case_id)).mappings().all():
        made = {k: v for k, v in returned.items() if k != "id"} | {
            "case_id": copy_id,
            "case_key": copy_id,
        }
        return_id = db.execute(insert(r).values(made).returning(r.c.id)).scalar_one()
        found = db.execute(select(f).where(f.c.return_id == returned["id"])).mappings().all()
        db.execute(
            insert(f),
            [{k: v for k, v in x.items() if k != "id"} | {"return_id": return_id} for x in found],
        )


@contextmanager
def _database_work(engine: Engine) -> Iterator[list[int]]:
    """SQLite's virtual machine steps meanwhile, in hundreds, rows fetched included: the
    work the statements do, whatever the machine's speed or load."""
    steps = [0]
    counting: list[Any] = []

    def counted() -> int:
        steps[0] += 1
        return 0  # carry on

    def started(connection: Any, *_: Any) -> None:
        driver = connection.connection.driver_connection
        driver.set_progress_handler(counted, 100)
        counting.append(driver)

    event.listen(engine, "before_cursor_execute", started)
    try:
        yield steps
    finally:
        event.remove(engine, "before_cursor_execute", started)
        for driver in counting:
            driver.set_progress_handler(None, 0)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_pages_work_follows_the_page_not_every_finding(
    partnership: Deps, clock: FakeClock, engine: Engine
) -> None:
    """Twenty times the findings cost a page far less than twenty times the work: what grows
    is the one agency's section a page falls in, never a pass over every finding (counting
    them is once per version of the audit, before the pages here are read)."""
    deps = partnership
    small = drive(deps, "mace", "moderation", theme="Small").reference
    large = drive(deps, "mace", "moderation", theme="Large").reference
    _grow(deps, large, 20)

    def work(reference: str, page: int) -> int:
        findings_page(deps, audit=reference, actor=email("chair"), page=page)
        with _database_work(engine) as steps:
            shown = findings_page(deps, audit=reference, actor=email("chair"), page=page)
        assert len(shown.findings) == 50
        return steps[0]

    assert findings_page(deps, audit=large, actor=email("chair")).matching == 20 * TOTAL
    for page in (1, 3):
        assert work(large, page * 20) < 4 * work(small, page)
