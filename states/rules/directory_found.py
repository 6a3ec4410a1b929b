"""What a directory file holds as it is read, each entry with the row it came from, and the
checks that need the whole file and the directory as it stands: codes another entry holds,
people's agencies and bodies' members, so each refusal still names its sheet, row and column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from states.errors import DirectoryProblem
from states.rules.directory import (
    STATUTORY_PARTNER_KINDS,
    AgencyEntry,
    AgencyKind,
    BodyKind,
    Directory,
    Part,
    PersonEntry,
    SettingEntry,
)
from states.rules.directory_columns import COLUMNS

PART_ORDER = {part: n for n, part in enumerate(Part)}


@dataclass
class Problems:
    """Every problem found, kept in the order a person reads the file: part by part, row by
    row, column by column."""

    found: list[tuple[tuple[int, int, int], DirectoryProblem]] = field(default_factory=list)

    def add(self, part: Part, where: str, row: int | None, column: str | None, why: str) -> None:
        order = COLUMNS[part]
        position = order.index(column) if column in order else len(order)
        key = (PART_ORDER[part], row or 0, position)
        self.found.append((key, DirectoryProblem(where, row, column, why)))

    def sorted(self) -> list[DirectoryProblem]:
        return [problem for _, problem in sorted(self.found, key=lambda pair: pair[0])]


@dataclass(frozen=True)
class Place:
    where: str
    row: int


@dataclass
class BodyRows:
    place: Place
    code: str
    name: str
    kind: BodyKind
    active: bool
    members: dict[str, Place] = field(default_factory=dict)


@dataclass
class Found:
    """What the file holds so far, each entry with the place it was first read."""

    current: Directory
    problems: Problems
    agencies: dict[str, tuple[Place, AgencyEntry]] = field(default_factory=dict)
    settings: dict[str, tuple[Place, SettingEntry]] = field(default_factory=dict)
    people: dict[str, tuple[Place, PersonEntry]] = field(default_factory=dict)
    bodies: dict[str, BodyRows] = field(default_factory=dict)
    codes: dict[str, Place] = field(default_factory=dict)  # agencies' and settings' codes


def named(place: Place) -> str:
    return f"{place.where}, row {place.row}"


def codes_after(found: Found) -> dict[str, str]:
    """Every agency and setting code the directory will hold, with what holds it ("agency" or
    a setting's URN): the file's, and the directory's own except those the file gives a
    setting a new code in place of."""
    renamed = {
        current.code
        for urn, current in found.current.settings.items()
        if urn in found.settings and found.settings[urn][1].code != current.code
    }
    held = {code: "agency" for code in found.current.agencies}
    held.update({s.code: urn for urn, s in found.current.settings.items()})
    held = {code: holder for code, holder in held.items() if code not in renamed}
    held.update({code: "agency" for code in found.agencies})
    held.update({entry.code: urn for urn, (_, entry) in found.settings.items()})
    return held


def clashes(found: Found) -> None:
    """A code the file gives one entry that the directory gives another: storing it would
    either fail or quietly make two entries one."""
    current_settings = {s.code: urn for urn, s in found.current.settings.items()}
    for code, (place, _) in found.agencies.items():
        if code in current_settings:
            why = (
                f"the directory has '{code}' as the setting with URN {current_settings[code]}; "
                "a setting goes on the settings sheet"
            )
            found.problems.add(Part.AGENCIES, place.where, place.row, "code", why)
    for urn, (place, entry) in found.settings.items():
        other = current_settings.get(entry.code, urn)
        holder = "an agency" if entry.code in found.current.agencies else None
        holder = holder or (f"the setting with URN {other}" if other != urn else None)
        if holder:
            why = f"the directory already uses the code '{entry.code}' for {holder}"
            found.problems.add(Part.SETTINGS, place.where, place.row, "code", why)


def references(found: Found) -> None:
    codes = codes_after(found)
    for place, person in found.people.values():
        if person.agency is not None and person.agency not in codes:
            why = (
                f"no agency or setting has the code '{person.agency}', in this file or in the "
                "directory"
            )
            found.problems.add(Part.PEOPLE, place.where, place.row, "agency", why)
    people = {**found.current.people, **{k: e for k, (_, e) in found.people.items()}}
    kinds = {code: a.kind for code, a in found.current.agencies.items()}
    kinds.update({code: a.kind for code, (_, a) in found.agencies.items()})
    for body in found.bodies.values():
        leads: dict[str, Place] = {}
        for member, place in body.members.items():
            refusal = not_a_member(body, people.get(member), kinds, leads, place)
            if refusal:
                found.problems.add(Part.BODIES, place.where, place.row, "member_email", refusal)


def not_a_member(
    body: BodyRows,
    person: PersonEntry | None,
    kinds: Mapping[str, AgencyKind],
    leads: dict[str, Place],
    place: Place,
) -> str | None:
    """Why a body cannot have this member, as the directory would refuse it when stored."""
    if person is None:
        return (
            "this member is not a person, in this file's people or in the directory; add them "
            "to the people sheet"
        )
    if not person.active:
        return "this member is not active in the directory, so cannot be a member of a body"
    if body.kind is not BodyKind.STATUTORY_PARTNERS:
        return None
    if kinds.get(person.agency or "") not in STATUTORY_PARTNER_KINDS:
        return (
            "a statutory partners body has the leads of the local authority, the police and "
            "the integrated care board, and this member is with none of them"
        )
    earlier = leads.setdefault(person.agency or "", place)
    if earlier is not place:
        return f"'{person.agency}' already has its lead on {named(earlier)}; each partner has one"
    return None
