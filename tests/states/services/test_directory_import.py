"""Applying an import's plan: every change in one transaction, each logged; nothing stored when
one change is refused or the directory changed since the dry run; on both stores."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event, func, select

from states.errors import InvalidInput, NotFound
from states.persistence import tables as t
from states.rules.directory import (
    AgencyEntry,
    AgencyKind,
    BodyEntry,
    BodyKind,
    ChangeKind,
    Directory,
    Entry,
    EntryChange,
    ImportPlan,
    Part,
    PersonEntry,
    Phase,
    SettingEntry,
)
from states.services import directory, directory_people
from states.services.deps import Deps
from tests.support.partnership import email

COORDINATOR = email("coordinator")
WHY = "Directory for 2026-27 from the partnership's spreadsheet"
STALE = "The directory changed since the dry run; run the import again."


def _added(part: Part, key: str, entry: Entry) -> EntryChange:
    return EntryChange(part, key, ChangeKind.ADDED, entry)


def _changed(part: Part, key: str, before: Entry, after: Entry) -> EntryChange:
    kind = ChangeKind.DEACTIVATED if before.active and not after.active else ChangeKind.CHANGED
    return EntryChange(part, key, kind, after, before=before)


def _plan(now: Directory) -> ImportPlan:
    school = SettingEntry("1234567", "hill", "Hillside Primary", AgencyKind.SCHOOL, Phase.PRIMARY)
    newcomer = PersonEntry("ro.k@example.org", "Ro Ketley", "hill", frozenset({"agency_lead"}))
    chair, lead = now.people[email("chair")], now.people[email("lead.police")]
    vcs, police = now.agencies["vcs"], now.agencies["police"]
    return ImportPlan(
        (
            _added(Part.AGENCIES, "hfs", AgencyEntry("hfs", "Harbour", AgencyKind.OTHER)),
            _added(Part.SETTINGS, school.urn, school),
            _added(Part.PEOPLE, newcomer.email, newcomer),
            _changed(
                Part.PEOPLE,
                chair.email,
                chair,
                replace(chair, name="Lee Marsden-Hale", roles=frozenset({"auditor"})),
            ),
            _changed(Part.PEOPLE, lead.email, lead, replace(lead, active=False)),
            _changed(Part.AGENCIES, "vcs", vcs, replace(vcs, active=False)),
            _added(
                Part.BODIES,
                "hub",
                BodyEntry(
                    "hub",
                    "Learning hub",
                    BodyKind.LEARNING_HUB,
                    frozenset({newcomer.email, email("lhm")}),
                ),
            ),
            EntryChange(Part.AGENCIES, "police", ChangeKind.UNCHANGED, police, before=police),
        )
    )


def test_a_plan_is_applied_in_one_go_and_each_change_logged(partnership: Deps) -> None:
    deps = partnership
    before = directory.snapshot(deps, viewer=COORDINATOR)
    plan = _plan(before)
    assert directory.apply_plan(deps, plan=plan, actor=COORDINATOR, reason=WHY) is plan
    after = directory.snapshot(deps, viewer=COORDINATOR)
    for change in plan.changes:
        parts: dict[Part, dict[str, Any]] = {
            Part.AGENCIES: after.agencies,
            Part.SETTINGS: after.settings,
            Part.PEOPLE: after.people,
            Part.BODIES: after.bodies,
        }
        assert parts[change.part][change.key] == change.entry, change.key
    logged = directory.log(deps, viewer=COORDINATOR)
    assert {row.reason for row in logged} == {WHY}
    assert sorted((row.subject, row.change, row.about) for row in logged if not row.member) == [
        ("agency", "added", "hfs"),
        ("agency", "deactivated", "vcs"),
        ("body", "added", "hub"),
        ("person", "added", "ro.k@example.org"),
        ("person", "changed", email("chair")),
        ("person", "deactivated", email("lead.police")),
        ("person", "role_granted", email("chair")),
        ("person", "role_removed", email("chair")),
        ("setting", "added", "hill"),
    ]
    assert sorted(row.member for row in logged if row.member) == [email("lhm"), "ro.k@example.org"]


@pytest.mark.parametrize(
    "bad",
    [
        _added(
            Part.PEOPLE, "x@example.org", PersonEntry("x@example.org", "X", "nowhere", frozenset())
        ),
        _added(
            Part.BODIES,
            "lsp",
            BodyEntry(
                "lsp",
                "Partners",
                BodyKind.STATUTORY_PARTNERS,
                frozenset({email("lsp.police"), email("lead.police")}),
            ),
        ),
        _added(
            Part.SETTINGS,
            "12",
            SettingEntry("12", "tiny", "Tiny School", AgencyKind.SCHOOL, Phase.PRIMARY),
        ),
    ],
    ids=["unknown agency", "two leads for one partner", "bad URN"],
)
def test_one_refused_change_stores_nothing(partnership: Deps, bad: EntryChange) -> None:
    deps = partnership
    before = directory.snapshot(deps, viewer=COORDINATOR)
    plan = _plan(before)
    with pytest.raises((InvalidInput, NotFound)):
        directory.apply_plan(
            deps, plan=ImportPlan((*plan.changes, bad)), actor=COORDINATOR, reason=WHY
        )
    assert directory.snapshot(deps, viewer=COORDINATOR) == before
    assert directory.log(deps, viewer=COORDINATOR) == []


def test_a_plan_is_refused_when_the_directory_changed_since_the_dry_run(
    partnership: Deps,
) -> None:
    deps = partnership
    before = directory.snapshot(deps, viewer=COORDINATOR)
    plan = _plan(before)
    directory_people.change_person(
        deps, person=email("chair"), name="Lee M.", actor=COORDINATOR, reason="Typo"
    )
    changed = directory.snapshot(deps, viewer=COORDINATOR)
    with pytest.raises(InvalidInput, match=STALE):
        directory.apply_plan(deps, plan=plan, actor=COORDINATOR, reason=WHY)
    assert directory.snapshot(deps, viewer=COORDINATOR) == changed


@pytest.mark.parametrize("which", ["added meanwhile", "unchanged one changed", "no before"])
def test_other_stale_plans_are_refused(partnership: Deps, which: str) -> None:
    deps = partnership
    now = directory.snapshot(deps, viewer=COORDINATOR)
    lhm = now.people[email("lhm")]
    plans = {
        "added meanwhile": _added(Part.PEOPLE, lhm.email, lhm),
        "unchanged one changed": EntryChange(
            Part.PEOPLE, lhm.email, ChangeKind.UNCHANGED, replace(lhm, name="Someone Else")
        ),
        "no before": EntryChange(
            Part.PEOPLE, lhm.email, ChangeKind.CHANGED, replace(lhm, name="N B"), ("name",)
        ),
    }
    with pytest.raises(InvalidInput, match=STALE):
        directory.apply_plan(deps, plan=ImportPlan((plans[which],)), actor=COORDINATOR, reason=WHY)


@contextmanager
def _statements(deps: Deps) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = deps.uow.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_large_import_takes_a_few_statements_not_one_a_row(partnership: Deps) -> None:
    deps = partnership
    settings = [
        SettingEntry(f"{900000 + n}", f"s{n}", f"School {n}", AgencyKind.SCHOOL, Phase.PRIMARY)
        for n in range(400)
    ]
    persons = [
        PersonEntry(f"p{n}@example.org", f"Person {n}", f"s{n % 400}", frozenset({"agency_lead"}))
        for n in range(1200)
    ]
    plan = ImportPlan(
        tuple(_added(Part.SETTINGS, s.urn, s) for s in settings)
        + tuple(_added(Part.PEOPLE, p.email, p) for p in persons)
    )
    with _statements(deps) as seen:
        directory.apply_plan(deps, plan=plan, actor=COORDINATOR, reason=WHY)
    assert len(seen) < 60, collections.Counter(s[:40] for s in seen).most_common(3)
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        logged = c.execute(select(func.count()).select_from(t.directory_change)).scalar_one()
        held = c.execute(select(func.count()).select_from(t.role)).scalar_one()
    assert logged == 1600
    assert held >= 1200
    after = directory.snapshot(deps, viewer=COORDINATOR)
    assert after.people["p1199@example.org"].agency == "s399"
