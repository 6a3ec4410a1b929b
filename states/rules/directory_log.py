"""The directory's log as values: what a row is about, what happened, and each changed field's
old and new value, kept as a small JSON object and read back for a person.

Only directory values are ever compared here (names, e-mails, codes, URNs, kinds, roles,
members): the directory holds no case or child data, so neither does its log.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from enum import StrEnum

Value = str | bool | Iterable[str] | None
FieldChanges = dict[str, tuple[str | None, str | None]]


class Subject(StrEnum):
    AGENCY = "agency"
    SETTING = "setting"
    PERSON = "person"  # their details, a role, their links, a handover
    BODY = "body"  # the body itself, or a member joining or leaving


class Logged(StrEnum):
    ADDED = "added"
    CHANGED = "changed"
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"
    ROLE_GRANTED = "role_granted"
    ROLE_REMOVED = "role_removed"
    LINKS_REVOKED = "links_revoked"
    MEMBER_ADDED = "member_added"
    MEMBER_REMOVED = "member_removed"
    HANDED_OVER = "handed_over"


def as_text(value: Value) -> str | None:
    """A field's value as the log keeps it: yes/no, a sorted list joined by commas."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    return ", ".join(sorted(value))


def changes(before: Mapping[str, Value], after: Mapping[str, Value]) -> FieldChanges:
    """Each field whose text differs, old and new (a field only one side has is None there)."""
    found: FieldChanges = {}
    for field in sorted(set(before) | set(after)):
        old, new = as_text(before.get(field)), as_text(after.get(field))
        if old != new:
            found[field] = (old, new)
    return found


# Compact, and in the order ``changes`` gives (sorted by field): an import logs thousands.
_JSON = json.JSONEncoder(separators=(",", ":"))


def added(after: Mapping[str, Value]) -> FieldChanges:
    """``changes`` from nothing: each field the new entry has, in field order."""
    found: FieldChanges = {}
    for field in sorted(after):
        new = as_text(after[field])
        if new is not None:
            found[field] = (None, new)
    return found


def encode(found: FieldChanges) -> str | None:
    return _JSON.encode(found) if found else None


def decode(text: str | None) -> FieldChanges:
    if not text:
        return {}
    loaded: dict[str, list[str | None]] = json.loads(text)
    return {field: (pair[0], pair[1]) for field, pair in loaded.items()}


def describe(found: FieldChanges) -> str:
    """ "name: Old -> New; roles: (none) -> auditor", for a table cell."""
    return "; ".join(
        f"{field}: {old if old else '(none)'} -> {new if new else '(none)'}"
        for field, (old, new) in found.items()
    )
