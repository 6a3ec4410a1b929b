"""The partnership's directory as a whole: the snapshot an import is compared with, applying
an import's plan, showing and searching it, and its log. Coordinators only: it lists
people's e-mail addresses.

Single changes are in ``directory_agencies``, ``directory_people``, ``people`` and
``bodies``; each of them, and ``apply_plan`` here, goes through ``directory_write``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from states.errors import InvalidInput, NotFound
from states.persistence import directory_log
from states.rules.directory import (
    AgencyEntry,
    BodyEntry,
    ChangeKind,
    Directory,
    Entry,
    EntryChange,
    ImportPlan,
    Part,
    PersonEntry,
    SettingEntry,
)
from states.rules.directory_log import FieldChanges, decode
from states.services import bodies, directory_agencies, directory_people
from states.services.deps import Deps
from states.services.directory_read import (
    agency_by_code,
    find_agency,
    find_body,
    find_person,
    read_directory,
    setting_by_urn,
)
from states.services.directory_write import Edit, directory_write, reading

STALE = "The directory changed since the dry run; run the import again."


def snapshot(deps: Deps, *, viewer: str | int) -> Directory:
    """The whole directory as the contract's values, as an import is compared with it."""
    with deps.uow(readonly=True) as uow:
        reading(uow.connection, viewer)
        return read_directory(uow.connection)


def show(
    deps: Deps, *, viewer: str | int, search: str | None = None, part: Part | None = None
) -> Directory:
    """The directory, or the entries whose name, e-mail, code or URN contains ``search``
    (any case), of one part or all."""
    whole = snapshot(deps, viewer=viewer)
    text = (search or "").strip().lower()

    def keep(which: Part, entry: Entry) -> bool:
        return (part is None or part is which) and (not text or text in _searched(entry))

    return Directory(
        agencies={k: e for k, e in whole.agencies.items() if keep(Part.AGENCIES, e)},
        settings={k: e for k, e in whole.settings.items() if keep(Part.SETTINGS, e)},
        people={k: e for k, e in whole.people.items() if keep(Part.PEOPLE, e)},
        bodies={k: e for k, e in whole.bodies.items() if keep(Part.BODIES, e)},
    )


def _searched(entry: Entry) -> str:
    if isinstance(entry, PersonEntry):
        return f"{entry.name}\n{entry.email}".lower()
    if isinstance(entry, SettingEntry):
        return f"{entry.name}\n{entry.code}\n{entry.urn}".lower()
    return f"{entry.name}\n{entry.code}".lower()


# --- the log ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    """One row of the directory's log, for a person to read."""

    at: datetime
    by: str
    subject: str
    change: str
    about: str  # the agency's or body's code, or the person's e-mail
    member: str | None  # a body's member joining or leaving
    role: str | None
    fields: FieldChanges
    reason: str
    links_revoked: int


def log(
    deps: Deps,
    *,
    viewer: str | int,
    person: str | None = None,
    agency: str | None = None,
    body: str | None = None,
    limit: int = 200,
) -> list[LogEntry]:
    """The newest changes first, of the whole directory or of one person, agency or body."""
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        reading(c, viewer)
        ids = _ids(c, person=person, agency=agency, body=body)
        rows = directory_log.read(c, limit=limit, **ids)
    return [
        LogEntry(
            at=row.changed_at,
            by=row.by,
            subject=row.subject,
            change=row.change,
            about=row.body or row.agency or row.person or "",
            member=row.person if row.body else None,
            role=row.role,
            fields=decode(row.changed_fields),
            reason=row.reason,
            links_revoked=row.links_revoked,
        )
        for row in rows
    ]


def _ids(
    c: Connection, *, person: str | None, agency: str | None, body: str | None
) -> dict[str, int | None]:
    found: dict[str, int | None] = {"person_id": None, "agency_id": None, "body_id": None}
    if person is not None:
        who = find_person(c, person)
        if who is None:
            raise NotFound("person", person)
        found["person_id"] = who.id
    if agency is not None:
        which = find_agency(c, agency)
        if which is None:
            raise NotFound("agency or setting", agency)
        found["agency_id"] = which.id
    if body is not None:
        group = find_body(c, body)
        if group is None:
            raise NotFound("body", body)
        found["body_id"] = group.id
    return found


# --- applying an import -----------------------------------------------------------------------


def apply_plan(deps: Deps, *, plan: ImportPlan, actor: str | int, reason: str) -> ImportPlan:
    """Apply every change of ``plan`` but the unchanged, in one transaction, each logged;
    refused, with nothing stored, when the directory no longer holds what the plan was
    worked out against (``EntryChange.before``; an unchanged entry's own value)."""
    with directory_write(deps, actor=actor, reason=reason, doing="import the directory") as edit:
        now = read_directory(edit.c)
        if not all(_still(change, now) for change in plan.changes):
            raise InvalidInput(STALE)
        _apply(edit, [c for c in plan.changes if c.kind is not ChangeKind.UNCHANGED])
    return plan


def _still(change: EntryChange, now: Directory) -> bool:
    parts: dict[Part, Mapping[str, Entry]] = {
        Part.AGENCIES: now.agencies,
        Part.SETTINGS: now.settings,
        Part.PEOPLE: now.people,
        Part.BODIES: now.bodies,
    }
    current = parts[change.part].get(change.key)
    if change.kind is ChangeKind.ADDED:
        return current is None
    expected = change.entry if change.kind is ChangeKind.UNCHANGED else change.before
    return expected is not None and current == expected


def _apply(edit: Edit, changes: list[EntryChange]) -> None:
    """Agencies and settings first, then the people who belong to them, then the bodies they
    join; agencies are deactivated last, once the people leaving them have gone. New
    agencies and people are added a statement at a time, not a row at a time."""
    changes = sorted(changes, key=lambda change: change.key)
    agencies = [c for c in changes if c.part in (Part.AGENCIES, Part.SETTINGS)]
    persons = [c for c in changes if c.part is Part.PEOPLE]
    directory_agencies.add_agencies(edit, _new_agencies(agencies))
    kept = [c for c in agencies if c.kind is not ChangeKind.ADDED]
    for change in kept:
        if change.entry.active:
            _put(edit, change)
    directory_people.add_people(
        edit,
        [
            c.entry
            for c in persons
            if c.kind is ChangeKind.ADDED and isinstance(c.entry, PersonEntry)
        ],
    )
    for change in persons:
        if change.kind is not ChangeKind.ADDED:
            _put(edit, change)
    for change in changes:
        if change.part is Part.BODIES:
            _put(edit, change)
    for change in kept:
        if not change.entry.active:
            _put(edit, change)


def _new_agencies(changes: list[EntryChange]) -> list[AgencyEntry | SettingEntry]:
    return [
        c.entry
        for c in changes
        if c.kind is ChangeKind.ADDED and isinstance(c.entry, AgencyEntry | SettingEntry)
    ]


def _put(edit: Edit, change: EntryChange) -> None:
    entry, c = change.entry, edit.c
    if isinstance(entry, PersonEntry):
        directory_people.put_person(edit, entry, find_person(c, change.key))
    elif isinstance(entry, BodyEntry):
        bodies.put_body(edit, entry, find_body(c, change.key))
    elif isinstance(entry, SettingEntry):
        directory_agencies.put_agency(edit, entry, setting_by_urn(c, change.key))
    else:
        directory_agencies.put_agency(edit, entry, agency_by_code(c, change.key))
