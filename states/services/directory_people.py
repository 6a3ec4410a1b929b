"""People in the directory: add, change (name, e-mail, agency), grant roles, reactivate.

Removing a person or a role is ``people`` (their links and sessions go with them); changing
someone's agency withdraws their unused links that the new agency does not fit. E-mail
addresses are kept in lower case, and are how a re-import finds a person again. Every change
is logged with each field's old and new value (``directory_write``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from enum import Enum
from typing import Final

from sqlalchemy import Connection, delete, insert, select, update

from states.errors import InvalidInput, NotFound
from states.persistence import tables as t
from states.persistence.directory_log import Change
from states.rules import directory_values as values
from states.rules.directory import PersonEntry
from states.rules.directory_log import Logged, Subject, Value, added, changes
from states.services import people
from states.services.deps import Deps
from states.services.directory_read import Found, find_person, ids_of
from states.services.directory_write import Edit, directory_write


class Keep(Enum):
    """A field a change leaves as it is (where None would mean "none")."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


def add_person(
    deps: Deps,
    *,
    name: str,
    email: str,
    roles: Iterable[str],
    actor: str | int,
    reason: str,
    agency: str | None = None,
) -> PersonEntry:
    entry = checked_person(PersonEntry(email, name, agency, frozenset(roles)))
    with directory_write(deps, actor=actor, reason=reason) as edit:
        add_people(edit, [entry])
    return entry


def change_person(
    deps: Deps,
    *,
    person: str | int,
    actor: str | int,
    reason: str,
    name: str | None = None,
    email: str | None = None,
    agency: str | Keep | None = KEEP,
    grant: Iterable[str] = (),
    remove: Iterable[str] = (),
) -> PersonEntry:
    """Change what is given and keep the rest, in one go; ``agency=None`` leaves them with
    no agency (the partnership's own staff). Roles removed withdraw the links only they
    allowed, and end the person's sessions (``people.take_role``)."""
    granted, removed = values.roles(grant), values.roles(remove)
    with directory_write(deps, actor=actor, reason=reason) as edit:
        current = existing(edit.c, person)
        old = current.entry
        _roles_fit(old, granted, removed)
        entry = replace(
            old,
            name=old.name if name is None else name,
            email=old.email if email is None else email,
            agency=old.agency if isinstance(agency, Keep) else agency,
            roles=(old.roles | granted) - removed,
        )
        return put_person(edit, entry, current)


def _roles_fit(old: PersonEntry, granted: frozenset[str], removed: frozenset[str]) -> None:
    if granted & removed:
        raise InvalidInput("A role cannot be granted and removed in the same change.")
    held, missing = sorted(granted & old.roles), sorted(removed - old.roles)
    if held:
        raise InvalidInput(f"{old.name} already holds the role {held[0]}.")
    if missing:
        raise InvalidInput(f"{old.name} does not hold the role {missing[0]}.")


def grant_role(
    deps: Deps, *, person: str | int, role: str, actor: str | int, reason: str
) -> PersonEntry:
    given = values.roles([role])
    with directory_write(deps, actor=actor, reason=reason) as edit:
        current = existing(edit.c, person)
        if given <= current.entry.roles:
            raise InvalidInput(f"{current.entry.name} already holds the role {role}.")
        return put_person(edit, replace(current.entry, roles=current.entry.roles | given), current)


def reactivate_person(
    deps: Deps, *, person: str | int, actor: str | int, reason: str
) -> PersonEntry:
    """Bring back someone removed, with the roles the directory still records for them."""
    with directory_write(deps, actor=actor, reason=reason) as edit:
        current = existing(edit.c, person)
        if current.entry.active:
            raise InvalidInput(f"{current.entry.name} is in the directory already.")
        return put_person(edit, replace(current.entry, active=True), current)


def existing(c: Connection, person: str | int) -> Found[PersonEntry]:
    found = find_person(c, person)
    if found is None:
        raise NotFound("person", person)
    return found


# --- storing, for these commands and for imports ---------------------------------------------


def checked_person(entry: PersonEntry) -> PersonEntry:
    return PersonEntry(
        values.email(entry.email),
        values.name(entry.name, what="person's name"),
        None if entry.agency is None else entry.agency.strip() or None,
        values.roles(entry.roles),
        entry.active,
    )


def _fields(entry: PersonEntry) -> dict[str, Value]:
    return {"email": entry.email, "name": entry.name, "agency": entry.agency}


def add_people(edit: Edit, entries: Sequence[PersonEntry]) -> None:
    """Add new people in a few statements, each logged as added."""
    if not entries:
        return
    checked = [checked_person(entry) for entry in entries]
    emails = [entry.email for entry in checked]
    if len(set(emails)) < len(emails):
        raise InvalidInput("The same e-mail address is given for two people; each is unique.")
    if ids_of(edit.c, t.person.c.email, t.person.c.id, emails):
        raise InvalidInput("Someone with that e-mail address is already in the directory.")
    agencies = _agencies(edit.c, checked)
    rows = [
        {
            "name": e.name,
            "email": e.email,
            "agency_id": None if e.agency is None else agencies[e.agency],
            "active": e.active,
        }
        for e in checked
    ]
    # Many rows, then their ids by e-mail: RETURNING in parameter order is a row at a time on
    # SQLite, which an import of thousands of people would feel.
    edit.c.execute(insert(t.person), rows)
    ids = ids_of(edit.c, t.person.c.email, t.person.c.id, emails)
    roles = [
        {"person_id": ids[entry.email], "role": role}
        for entry in checked
        for role in sorted(entry.roles)
    ]
    if roles:
        edit.c.execute(insert(t.role), roles)
    for entry in checked:
        fields = added({**_fields(entry), "roles": entry.roles, "active": entry.active})
        edit.log(Change(Subject.PERSON, Logged.ADDED, person_id=ids[entry.email], fields=fields))


def _agencies(c: Connection, entries: Sequence[PersonEntry]) -> dict[str, int]:
    """The agencies people are to belong to, by code; refused when one is not there, or has
    been deactivated and someone active is to belong to it."""
    codes = {e.agency for e in entries if e.agency is not None}
    found = {
        row.code: row
        for start in range(0, len(codes), 500)
        for row in c.execute(
            select(t.agency.c.id, t.agency.c.code, t.agency.c.name, t.agency.c.active).where(
                t.agency.c.code.in_(sorted(codes)[start : start + 500])
            )
        )
    }
    for entry in entries:
        if entry.agency is None:
            continue
        row = found.get(entry.agency)
        if row is None:
            raise NotFound("agency", entry.agency)
        if entry.active and not row.active:
            raise InvalidInput(
                f"{row.name} has been deactivated; reactivate it or choose another agency."
            )
    return {code: int(row.id) for code, row in found.items()}


def put_person(edit: Edit, entry: PersonEntry, current: Found[PersonEntry] | None) -> PersonEntry:
    """Store ``entry`` over the person ``current`` (or add them), logging each change: their
    details, each role granted or removed, and their removal or return."""
    if current is None:
        add_people(edit, [entry])
        return checked_person(entry)
    entry, old, person_id = checked_person(entry), current.entry, current.id
    agency_id = _agencies(edit.c, [entry]).get(entry.agency) if entry.agency else None
    _details(edit, entry, current, agency_id)
    if entry.active and not old.active:
        edit.c.execute(update(t.person).where(t.person.c.id == person_id).values(active=True))
        edit.log(Change(Subject.PERSON, Logged.REACTIVATED, person_id=person_id))
    for role in sorted(old.roles - entry.roles):
        _remove_role(edit, person_id, role, active=entry.active or old.active)
    for role in sorted(entry.roles - old.roles):
        edit.c.execute(insert(t.role), {"person_id": person_id, "role": role})
        edit.log(Change(Subject.PERSON, Logged.ROLE_GRANTED, person_id=person_id, role=role))
    if old.active and not entry.active:
        people.deactivate(edit, people.target(edit.c, person_id))
    return entry


def _details(
    edit: Edit, entry: PersonEntry, current: Found[PersonEntry], agency_id: int | None
) -> None:
    fields = changes(_fields(current.entry), _fields(entry))
    if not fields:
        return
    if "email" in fields and ids_of(edit.c, t.person.c.email, t.person.c.id, [entry.email]):
        raise InvalidInput("Someone with that e-mail address is already in the directory.")
    edit.c.execute(
        update(t.person)
        .where(t.person.c.id == current.id)
        .values(name=entry.name, email=entry.email, agency_id=agency_id)
    )
    # Links sent for the old agency (its return, its actions) are not the new one's to use.
    moved = "agency" in fields and current.entry.active
    revoked = people.revoke_unfit(edit, current.id) if moved else 0
    edit.log(
        Change(
            Subject.PERSON,
            Logged.CHANGED,
            person_id=current.id,
            fields=fields,
            links_revoked=revoked,
        )
    )


def _remove_role(edit: Edit, person_id: int, role: str, *, active: bool) -> None:
    if active:
        people.take_role(edit, people.target(edit.c, person_id), role)
        return
    # Someone removed holds no role in effect, and has no links or sessions left to end:
    # only the record on paper changes.
    edit.c.execute(delete(t.role).where(t.role.c.person_id == person_id, t.role.c.role == role))
    edit.log(Change(Subject.PERSON, Logged.ROLE_REMOVED, person_id=person_id, role=role))
