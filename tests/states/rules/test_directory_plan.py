"""What an import would do, worked out from the directory and the file's entries: added,
changed (with the fields), unchanged and deactivated; entries left out of the file are left
alone; importing the same file twice changes nothing. No database; every name is invented."""

from __future__ import annotations

from dataclasses import replace

from states.rules.directory import (
    AgencyEntry,
    AgencyKind,
    BodyEntry,
    BodyKind,
    ChangeKind,
    Directory,
    EntryChange,
    ImportPlan,
    Part,
    PersonEntry,
    Phase,
    SettingEntry,
)
from states.rules.directory_plan import entries, plan_import

POLICE = AgencyEntry("north_police", "North Police", AgencyKind.POLICE)
CSC = AgencyEntry("csc", "Children's Social Care", AgencyKind.LOCAL_AUTHORITY)
ASH = SettingEntry("123456", "ash_primary", "Ash Lane Primary", AgencyKind.SCHOOL, Phase.PRIMARY)
LEAD = PersonEntry("lead.p01@example.org", "Lead P01", "north_police", frozenset({"agency_lead"}))
HUB = BodyEntry("hub", "Learning hub", BodyKind.LEARNING_HUB, frozenset({LEAD.email}))
CURRENT = Directory(
    agencies={POLICE.code: POLICE, CSC.code: CSC},
    settings={ASH.urn: ASH},
    people={LEAD.email: LEAD},
    bodies={HUB.code: HUB},
)
ALL = set(Part)


def applied(current: Directory, plan: ImportPlan) -> Directory:
    """The directory after ``plan``, as a store applying it would leave it."""
    parts = {p: dict(entries(current, p)) for p in Part}
    for change in plan.changes:
        parts[change.part][change.key] = change.entry
    return Directory(
        agencies=parts[Part.AGENCIES],  # type: ignore[arg-type]
        settings=parts[Part.SETTINGS],  # type: ignore[arg-type]
        people=parts[Part.PEOPLE],  # type: ignore[arg-type]
        bodies=parts[Part.BODIES],  # type: ignore[arg-type]
    )


def kinds(plan: ImportPlan) -> dict[str, tuple[ChangeKind, tuple[str, ...]]]:
    return {c.key: (c.kind, c.fields) for c in plan.changes}


def test_each_entry_is_added_changed_unchanged_or_deactivated() -> None:
    incoming = Directory(
        agencies={
            POLICE.code: POLICE,
            CSC.code: replace(CSC, name="Children's Services", active=False),
            "vcs": AgencyEntry("vcs", "Voluntary Hub", AgencyKind.VOLUNTARY_SECTOR),
        },
        settings={ASH.urn: replace(ASH, code="ash_academy", phase=Phase.ALL_THROUGH)},
        people={LEAD.email: replace(LEAD, roles=frozenset({"agency_lead", "auditor"}))},
        bodies={HUB.code: replace(HUB, members=frozenset())},
    )
    plan = plan_import(CURRENT, incoming, ALL)
    assert kinds(plan) == {
        "csc": (ChangeKind.DEACTIVATED, ("name", "active")),
        "north_police": (ChangeKind.UNCHANGED, ()),
        "vcs": (ChangeKind.ADDED, ()),
        "123456": (ChangeKind.CHANGED, ("code", "phase")),
        LEAD.email: (ChangeKind.CHANGED, ("roles",)),
        "hub": (ChangeKind.CHANGED, ("members",)),
    }
    assert plan.count(Part.AGENCIES, ChangeKind.UNCHANGED) == 1
    assert plan.changes[0] == EntryChange(
        Part.AGENCIES,
        "csc",
        ChangeKind.DEACTIVATED,
        incoming.agencies["csc"],
        ("name", "active"),
        before=CSC,
    )
    assert [c.before for c in plan.changes if c.key in ("vcs", "north_police")] == [POLICE, None]


def test_the_plan_reads_part_by_part_in_key_order() -> None:
    incoming = Directory(
        agencies={"b": replace(CSC, code="b"), "a": replace(CSC, code="a")},
        bodies={HUB.code: HUB},
        people={LEAD.email: LEAD},
    )
    plan = plan_import(CURRENT, incoming, ALL)
    assert [(c.part, c.key) for c in plan.changes] == [
        (Part.AGENCIES, "a"),
        (Part.AGENCIES, "b"),
        (Part.PEOPLE, LEAD.email),
        (Part.BODIES, "hub"),
    ]


def test_entries_left_out_of_the_file_are_left_as_they_are() -> None:
    plan = plan_import(CURRENT, Directory(people={LEAD.email: LEAD}), ALL)
    assert kinds(plan) == {LEAD.email: (ChangeKind.UNCHANGED, ())}
    assert applied(CURRENT, plan) == CURRENT


def test_deactivating_needs_an_active_entry_and_reactivating_is_a_change() -> None:
    gone = replace(LEAD, active=False)
    once = plan_import(CURRENT, Directory(people={LEAD.email: gone}), ALL)
    assert kinds(once) == {LEAD.email: (ChangeKind.DEACTIVATED, ("active",))}
    after = applied(CURRENT, once)
    again = plan_import(after, Directory(people={LEAD.email: gone}), ALL)
    assert kinds(again) == {LEAD.email: (ChangeKind.UNCHANGED, ())}
    back = plan_import(after, Directory(people={LEAD.email: LEAD}), ALL)
    assert kinds(back) == {LEAD.email: (ChangeKind.CHANGED, ("active",))}


def test_a_new_entry_marked_inactive_is_added_as_it_is() -> None:
    new = AgencyEntry("old_trust", "Old Trust", AgencyKind.HEALTH_TRUST, active=False)
    plan = plan_import(CURRENT, Directory(agencies={new.code: new}), ALL)
    assert plan.changes == (EntryChange(Part.AGENCIES, new.code, ChangeKind.ADDED, new),)


def test_only_the_parts_asked_for_are_planned() -> None:
    incoming = Directory(
        agencies={"vcs": AgencyEntry("vcs", "V", AgencyKind.OTHER)},
        people={LEAD.email: replace(LEAD, name="Lead P01 (acting)")},
    )
    plan = plan_import(CURRENT, incoming, {Part.PEOPLE})
    assert kinds(plan) == {LEAD.email: (ChangeKind.CHANGED, ("name",))}


def test_importing_the_same_file_twice_changes_nothing_the_second_time() -> None:
    incoming = Directory(
        agencies={
            CSC.code: replace(CSC, active=False),
            "vcs": AgencyEntry("vcs", "V", AgencyKind.OTHER),
        },
        settings={
            "7654321": replace(ASH, urn="7654321", code="elm_nursery", kind=AgencyKind.EARLY_YEARS)
        },
        people={"p05@example.org": PersonEntry("p05@example.org", "P05", "vcs", frozenset())},
        bodies={HUB.code: replace(HUB, members=frozenset({LEAD.email, "p05@example.org"}))},
    )
    first = plan_import(CURRENT, incoming, ALL)
    assert {c.kind for c in first.changes} == {
        ChangeKind.ADDED,
        ChangeKind.CHANGED,
        ChangeKind.DEACTIVATED,
    }
    second = plan_import(applied(CURRENT, first), incoming, ALL)
    assert len(second.changes) == len(first.changes)
    assert {c.kind for c in second.changes} == {ChangeKind.UNCHANGED}
