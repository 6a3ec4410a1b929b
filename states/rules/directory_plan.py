"""What importing a directory file would do, worked out before anything is stored, so a dry run
and the import itself show the same changes.

Pure: the directory as it stands and the file's entries (from ``states.rules.directory_rows``)
go in, an ``ImportPlan`` comes out; ``states.services.directory.apply_plan`` stores it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields

from states.rules.directory import (
    ChangeKind,
    Directory,
    Entry,
    EntryChange,
    ImportPlan,
    Part,
)

# The attribute of an entry that is its key in ``Directory``: never reported as a change.
KEYS = {Part.AGENCIES: "code", Part.SETTINGS: "urn", Part.PEOPLE: "email", Part.BODIES: "code"}


def entries(directory: Directory, part: Part) -> Mapping[str, Entry]:
    """One part of a directory, by key."""
    found: dict[Part, Mapping[str, Entry]] = {
        Part.AGENCIES: directory.agencies,
        Part.SETTINGS: directory.settings,
        Part.PEOPLE: directory.people,
        Part.BODIES: directory.bodies,
    }
    return found[part]


def changed_fields(before: Entry, after: Entry, part: Part) -> tuple[str, ...]:
    """The fields of ``after`` that differ from ``before``, in the entry's own order."""
    return tuple(
        f.name
        for f in fields(after)
        if f.name != KEYS[part] and getattr(before, f.name) != getattr(after, f.name)
    )


def _change(part: Part, key: str, before: Entry | None, after: Entry) -> EntryChange:
    if before is None:
        return EntryChange(part, key, ChangeKind.ADDED, after)
    changed = changed_fields(before, after, part)
    if not changed:
        return EntryChange(part, key, ChangeKind.UNCHANGED, after, before=before)
    # Deactivating is what a reader of the plan must not miss, even when the row also
    # changed a name or a role on the way out; ``fields`` still lists everything.
    deactivated = before.active and not after.active
    kind = ChangeKind.DEACTIVATED if deactivated else ChangeKind.CHANGED
    return EntryChange(part, key, kind, after, changed, before)


def plan_import(current: Directory, incoming: Directory, parts: set[Part]) -> ImportPlan:
    """Each entry of ``incoming`` in ``parts``, matched by key (code, URN or e-mail) with
    ``current``: added, changed (naming the fields), unchanged, or deactivated (a row marked
    not active, of an entry that is active); each but the added carries the entry as it was
    found (``before``), so applying the plan can tell that the directory changed since.

    Entries of the directory that the file does not list are left as they are: leaving a row
    out of a file is too easy to do by accident (a filtered sheet, a file of one agency's
    people) for it to deactivate anyone. Deactivating takes a row that says so. Within a body,
    though, the file's rows are its whole membership, since a body's rows are read as one entry.

    Importing the same file twice gives every entry UNCHANGED the second time.
    """
    changes = []
    for part in Part:  # the parts' own order, so a plan reads the same every time
        if part not in parts:
            continue
        before = entries(current, part)
        for key, after in sorted(entries(incoming, part).items()):
            changes.append(_change(part, key, before.get(key), after))
    return ImportPlan(tuple(changes))
