"""Reading the directory's rows: each part's cells, as a person typed them in a sheet or a CSV
file, into entries, or every problem named by sheet, row and column.

Pure: files become rows in ``oscp_flow.excel.directory_book`` and ``directory_csv``,
and the current directory is passed in, to find people's agencies and body members that the
file does not list. Every row is checked before anything is returned, so a person fixes the
file in one go, and nothing is stored from a file with any problem. A refusal repeats codes
and vocabulary (which are the partnership's own words) but never a person's name or e-mail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from states.definitions.roles import GIVEN_ROLES
from states.errors import DirectoryRejected
from states.rules.directory import (
    SETTING_KINDS,
    AgencyEntry,
    AgencyKind,
    BodyEntry,
    BodyKind,
    Directory,
    Part,
    PersonEntry,
    Phase,
    SettingEntry,
)
from states.rules.directory_columns import (
    COLUMNS,
    NO,
    OPTIONAL,
    ROLE_SEPARATOR,
    YES,
    column_letter,
    heading,
)
from states.rules.directory_found import (
    BodyRows,
    Found,
    Place,
    Problems,
    clashes,
    named,
    references,
)

# The values' rules are the directory's own, so what an import accepts a service stores.
from states.rules.directory_values import CODE, EMAIL, FORMULA_START, MAX_EMAIL, MAX_NAME, URN

_ACTIVE = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}
CODE_RULE = "up to 40 letters, digits, hyphens and underscores, starting with a letter or digit"
Choice = TypeVar("Choice", bound=StrEnum)


@dataclass(frozen=True)
class PartRows:
    """One part as read from a file: where it came from, as a person names it ("Sheet
    'people'" or "people.csv"), and its rows with their numbers, the first being headings."""

    part: Part
    where: str
    rows: Sequence[tuple[int, Sequence[str]]]


@dataclass
class _Row:
    """One row's cells by column, and the checks that turn a cell into a value."""

    part: Part
    where: str
    number: int
    values: Mapping[str, str]
    problems: Problems
    faults: int = 0

    def fault(self, column: str | None, why: str) -> None:
        self.faults += 1
        self.problems.add(self.part, self.where, self.number, column, why)

    def text(self, column: str, *, limit: int = MAX_NAME, required: bool = True) -> str | None:
        # Runs of spaces are one, as the directory keeps names, so a re-import matches them.
        value = " ".join(self.values.get(column, "").split())
        if not value:
            if required:
                self.fault(column, "this cell is empty; fill it in")
            return None
        if value.startswith(FORMULA_START):
            self.fault(column, "starts with =, +, - or @, which spreadsheets run as a formula")
            return None
        if len(value) > limit:
            self.fault(column, f"is longer than {limit} characters")
            return None
        return value

    def code(self, column: str, *, required: bool = True) -> str | None:
        value = self.text(column, limit=40, required=required)
        if value is not None and not CODE.fullmatch(value):
            self.fault(column, f"a code is {CODE_RULE}")
            return None
        return value

    def email(self, column: str, *, required: bool = True) -> str | None:
        value = self.text(column, limit=MAX_EMAIL, required=required)
        if value is not None and not EMAIL.fullmatch(value.lower()):
            self.fault(column, "this is not an e-mail address (name@organisation.example)")
            return None
        return None if value is None else value.lower()

    def choice(self, column: str, vocabulary: type[Choice]) -> Choice | None:
        value = self.text(column, limit=60)
        if value is None:
            return None
        try:
            return vocabulary(heading(value))
        except ValueError:
            self.fault(column, f"'{value}' is not one of {', '.join(vocabulary)}")
            return None

    def active(self) -> bool:
        value = self.values.get("active", "").lower()
        if value and value not in _ACTIVE:
            self.fault("active", f"write {YES} or {NO} (or leave it empty for {YES})")
        return _ACTIVE.get(value, True)

    def roles(self) -> frozenset[str]:
        given = self.values.get("roles", "").split(ROLE_SEPARATOR)
        roles = {heading(role) for role in given if role.strip()}
        unknown = sorted(roles - set(GIVEN_ROLES))
        if unknown:
            self.fault(
                "roles",
                f"{', '.join(repr(r) for r in unknown)} "
                f"{'is not a role' if len(unknown) == 1 else 'are not roles'}; "
                f"roles are {', '.join(GIVEN_ROLES)}, separated by '{ROLE_SEPARATOR}'",
            )
        return frozenset(roles & set(GIVEN_ROLES))


# --- Headings ---------------------------------------------------------------------------------


def _table(given: PartRows, problems: Problems) -> list[_Row]:
    """The part's rows by column, or none when the headings do not allow reading them."""
    rows = iter(given.rows)
    first = next(rows, None)
    expected = COLUMNS[given.part]
    if first is None:
        why = f"there are no headings; the first row names the columns {', '.join(expected)}"
        problems.add(given.part, given.where, None, None, why)
        return []
    line, cells = first
    names = [heading(cell) for cell in cells]
    if not _headings_usable(given, line, names, problems):
        return []
    read = []
    for number, row in rows:
        values = _values(given, number, names, row, problems)
        if values is not None:
            read.append(_Row(given.part, given.where, number, values, problems))
    return read


def _headings_usable(given: PartRows, line: int, names: list[str], problems: Problems) -> bool:
    expected = COLUMNS[given.part]
    listed = f"the columns are {', '.join(expected)}"

    def add(column: str | None, why: str) -> None:
        problems.add(given.part, given.where, line, column, why)

    for index, name in enumerate(names):
        if name and name not in expected:
            add(name, f"this sheet has no such column; {listed}")
        elif name and names.index(name) != index:
            add(name, f"this column's heading appears twice (column {column_letter(index)})")
    missing = [name for name in expected if name not in names and name not in OPTIONAL]
    for name in missing:
        add(name, f"this column is missing; {listed}")
    return not missing and len(set(filter(None, names))) == len(list(filter(None, names)))


def _values(
    given: PartRows, number: int, names: list[str], cells: Sequence[str], problems: Problems
) -> dict[str, str] | None:
    """The row's cells by column; None for a blank row (spreadsheets leave them at the end)."""
    stripped = [cell.strip() for cell in cells]
    if not any(stripped):
        return None
    for index, value in enumerate(stripped):
        if value and (index >= len(names) or not names[index]):
            why = "this column has no heading; clear the cell or move it to a named column"
            problems.add(given.part, given.where, number, column_letter(index), why)
    return {name: value for name, value in zip(names, stripped, strict=False) if name}


# --- Each part's rows -------------------------------------------------------------------------


def _new(row: _Row, column: str, what: str, earlier: Place | None) -> bool:
    """Whether the row's key is new to the file; a repeat is a problem at its own row."""
    if earlier is not None:
        row.fault(column, f"repeats the {what} on {named(earlier)}; each appears once")
    return earlier is None


def _place(row: _Row) -> Place:
    return Place(row.where, row.number)


def _agency(row: _Row, found: Found) -> None:
    code, name = row.code("code"), row.text("name")
    kind, active = row.choice("kind", AgencyKind), row.active()
    # An agency of a setting's kind from before settings had URNs may stay as it is, so that
    # an export of the directory imports again; a new one is a setting.
    held = found.current.agencies.get(code or "")
    if kind in SETTING_KINDS and (held is None or held.kind is not kind):
        row.fault("kind", f"a {kind} is a setting: put it on the settings sheet with its URN")
    if row.faults or code is None or name is None or kind is None:
        return
    if _code_is_new(row, code, found):
        found.agencies[code] = (_place(row), AgencyEntry(code, name, kind, active))


def _setting(row: _Row, found: Found) -> None:
    urn, code, name = _urn(row), row.code("code"), row.text("name")
    kind, phase, active = row.choice("kind", AgencyKind), row.choice("phase", Phase), row.active()
    if kind is not None and kind not in SETTING_KINDS:
        row.fault(
            "kind",
            f"a setting is a {', '.join(sorted(SETTING_KINDS))}; put a {kind} on the agencies "
            "sheet",
        )
    if row.faults or None in (urn, code, name, kind, phase):
        return
    assert urn and code and name and kind and phase  # narrowed for the type checker
    earlier = found.settings.get(urn)
    # Both checked, so a repeated URN is reported even when its code is at fault too.
    _code_is_new(row, code, found)
    if _new(row, "urn", "URN", earlier[0] if earlier else None):
        found.settings[urn] = (_place(row), SettingEntry(urn, code, name, kind, phase, active))


def _urn(row: _Row) -> str | None:
    value = row.values.get("urn", "")
    if not value:
        row.fault("urn", "a school, college or early years setting needs its URN; fill it in")
        return None
    if not URN.fullmatch(value):
        row.fault("urn", "a URN is 6 or 7 digits (the DfE's, or Ofsted's for early years)")
        return None
    return value


def _code_is_new(row: _Row, code: str, found: Found) -> bool:
    """Agencies and settings share one set of codes (a setting is an agency with a URN)."""
    earlier = found.codes.get(code)
    if earlier is not None:
        row.fault("code", f"the code '{code}' is already used on {named(earlier)}")
        return False
    found.codes[code] = _place(row)
    return True


def _person(row: _Row, found: Found) -> None:
    email, name = row.email("email"), row.text("name")
    agency, roles, active = row.code("agency", required=False), row.roles(), row.active()
    if row.faults or email is None or name is None:
        return
    earlier = found.people.get(email)
    if _new(row, "email", "e-mail", earlier[0] if earlier else None):
        found.people[email] = (_place(row), PersonEntry(email, name, agency, roles, active))


def _body_row(row: _Row, found: Found) -> None:
    """One member of a body: every row of a body repeats its code, name, kind and active."""
    code, name = row.code("body_code"), row.text("body_name")
    kind, active = row.choice("body_kind", BodyKind), row.active()
    member = row.email("member_email", required=False)
    if row.faults or code is None or name is None or kind is None:
        return
    body = found.bodies.setdefault(code, BodyRows(_place(row), code, name, kind, active))
    for column, mine, first in (
        ("body_name", name, body.name),
        ("body_kind", kind, body.kind),
        ("active", active, body.active),
    ):
        if mine != first:
            row.fault(
                column,
                f"differs from the body's first row ({named(body.place)}); give every row of "
                "a body the same",
            )
    if member is not None and _new(row, "member_email", "member", body.members.get(member)):
        body.members[member] = _place(row)


READERS = {
    Part.AGENCIES: _agency,
    Part.SETTINGS: _setting,
    Part.PEOPLE: _person,
    Part.BODIES: _body_row,
}


def read_directory(parts: Iterable[PartRows], current: Directory) -> Directory:
    """The entries in ``parts`` (each part's rows, headings first), checked against each other
    and against ``current``. Raises ``DirectoryRejected`` listing every problem in the file."""
    problems = Problems()
    found = Found(current, problems)
    for given in parts:
        for row in _table(given, problems):
            READERS[given.part](row, found)
    clashes(found)
    references(found)
    if problems.found:
        raise DirectoryRejected(problems.sorted())
    return Directory(
        agencies={code: entry for code, (_, entry) in found.agencies.items()},
        settings={urn: entry for urn, (_, entry) in found.settings.items()},
        people={email: entry for email, (_, entry) in found.people.items()},
        bodies={
            code: BodyEntry(b.code, b.name, b.kind, frozenset(b.members), b.active)
            for code, b in found.bodies.items()
        },
    )
