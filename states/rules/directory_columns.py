"""The columns of each part of the directory, as an import file's sheets (or CSV files) and an
export name them, and the directory's entries written as rows under them.

Reading rows back (``states.rules.directory_rows``) gives the same entries, so an export,
edited and imported again, reports every untouched entry unchanged.
"""

from __future__ import annotations

from states.rules.directory import Directory, Part

# Each part's columns in the order a template and an export write them. ``active`` may be left
# out (every entry is then active); every other column must be there, even if a cell is empty.
COLUMNS: dict[Part, tuple[str, ...]] = {
    Part.AGENCIES: ("code", "name", "kind", "active"),
    Part.SETTINGS: ("urn", "code", "name", "kind", "phase", "active"),
    Part.PEOPLE: ("email", "name", "agency", "roles", "active"),
    Part.BODIES: ("body_code", "body_name", "body_kind", "member_email", "active"),
}
OPTIONAL = frozenset({"active"})
ROLE_SEPARATOR = ";"
YES, NO = "yes", "no"


def heading(text: str) -> str:
    """A column heading as this module names it: "Member e-mail" is not accepted, but "Body
    code" and "body_code" are the same column."""
    return "_".join(text.strip().lower().split())


def column_letter(index: int) -> str:
    """Spreadsheet letters for a zero-based column index (0 is A, 26 is AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def yes_no(active: bool) -> str:
    return YES if active else NO


def _roles(roles: frozenset[str]) -> str:
    return f"{ROLE_SEPARATOR} ".join(sorted(roles))


def rows_of(directory: Directory, part: Part) -> list[tuple[str, ...]]:
    """The part's entries as rows of text under ``COLUMNS[part]``, sorted by key, so that
    reading them back gives the same entries."""
    if part is Part.AGENCIES:
        return [
            (a.code, a.name, a.kind.value, yes_no(a.active))
            for _, a in sorted(directory.agencies.items())
        ]
    if part is Part.SETTINGS:
        return [
            (s.urn, s.code, s.name, s.kind.value, s.phase.value, yes_no(s.active))
            for _, s in sorted(directory.settings.items())
        ]
    if part is Part.PEOPLE:
        return [
            (p.email, p.name, p.agency or "", _roles(p.roles), yes_no(p.active))
            for _, p in sorted(directory.people.items())
        ]
    return [
        (b.code, b.name, b.kind.value, member, yes_no(b.active))
        for _, b in sorted(directory.bodies.items())
        for member in sorted(b.members) or [""]
    ]
