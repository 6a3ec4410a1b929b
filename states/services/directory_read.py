"""Reading the directory as the contract's values (``states.rules.directory``): one entry, or
all of them, on the caller's connection.

A person's roles are read as they stand on paper, whether or not the person is still active
(``AuditStore.load_actor`` gives a removed person none), so an export and a re-import of it
agree, and reactivating someone gives them back what they had.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Connection, select

from states.persistence import tables as t
from states.rules.directory import (
    SETTING_KINDS,
    AgencyEntry,
    AgencyKind,
    BodyEntry,
    BodyKind,
    Directory,
    PersonEntry,
    Phase,
    SettingEntry,
)

E = TypeVar("E")
AnyAgency = AgencyEntry | SettingEntry
# Keys per IN (...) list: well under every driver's limit on bound parameters.
CHUNK = 500


@dataclass(frozen=True)
class Found(Generic[E]):
    """An entry as stored, with its row's id."""

    id: int
    entry: E


_AGENCY = select(
    t.agency.c.id,
    t.agency.c.code,
    t.agency.c.name,
    t.agency.c.kind,
    t.agency.c.urn,
    t.agency.c.phase,
    t.agency.c.active,
)


def agency_entry(row: Any) -> AnyAgency:
    kind = AgencyKind(row.kind)
    if kind in SETTING_KINDS and row.urn is not None:
        phase = Phase(row.phase) if row.phase else Phase.NOT_APPLICABLE
        return SettingEntry(row.urn, row.code, row.name, kind, phase, bool(row.active))
    return AgencyEntry(row.code, row.name, kind, bool(row.active))


def _one_agency(c: Connection, where: ColumnElement[bool]) -> Found[AnyAgency] | None:
    row = c.execute(_AGENCY.where(where)).first()
    return None if row is None else Found(int(row.id), agency_entry(row))


def agency_by_code(c: Connection, code: str) -> Found[AnyAgency] | None:
    return _one_agency(c, t.agency.c.code == code)


def setting_by_urn(c: Connection, urn: str) -> Found[AnyAgency] | None:
    return _one_agency(c, t.agency.c.urn == urn)


def find_agency(c: Connection, key: str) -> Found[AnyAgency] | None:
    """An agency or setting by its code, or a setting by its URN."""
    return agency_by_code(c, key.strip()) or setting_by_urn(c, key.strip())


def agencies(c: Connection) -> list[Found[AnyAgency]]:
    rows = c.execute(_AGENCY.order_by(t.agency.c.name, t.agency.c.code)).all()
    return [Found(int(row.id), agency_entry(row)) for row in rows]


def find_person(c: Connection, key: str | int) -> Found[PersonEntry] | None:
    where = (
        t.person.c.id == key if isinstance(key, int) else t.person.c.email == key.strip().lower()
    )
    found = people(c, where)
    return found[0] if found else None


def people(c: Connection, where: ColumnElement[bool] | None = None) -> list[Found[PersonEntry]]:
    p = t.person
    statement = (
        select(p.c.id, p.c.email, p.c.name, t.agency.c.code, p.c.active, t.role.c.role)
        .outerjoin(t.agency, t.agency.c.id == p.c.agency_id)
        .outerjoin(t.role, t.role.c.person_id == p.c.id)
        .order_by(p.c.name, p.c.id)
    )
    if where is not None:
        statement = statement.where(where)
    rows: dict[int, list[Any]] = {}
    for row in c.execute(statement):
        rows.setdefault(int(row.id), []).append(row)
    return [
        Found(
            person_id,
            PersonEntry(
                found[0].email,
                found[0].name,
                found[0].code,
                frozenset(row.role for row in found if row.role is not None),
                bool(found[0].active),
            ),
        )
        for person_id, found in rows.items()
    ]


def find_body(c: Connection, code: str) -> Found[BodyEntry] | None:
    found = bodies(c, t.body.c.code == code.strip())
    return found[0] if found else None


def bodies(c: Connection, where: ColumnElement[bool] | None = None) -> list[Found[BodyEntry]]:
    b, m = t.body, t.body_member
    statement = (
        select(b.c.id, b.c.code, b.c.name, b.c.kind, b.c.active, t.person.c.email)
        .outerjoin(m, m.c.body_id == b.c.id)
        .outerjoin(t.person, t.person.c.id == m.c.person_id)
        .order_by(b.c.name, b.c.id)
    )
    if where is not None:
        statement = statement.where(where)
    rows: dict[int, list[Any]] = {}
    for row in c.execute(statement):
        rows.setdefault(int(row.id), []).append(row)
    return [
        Found(
            body_id,
            BodyEntry(
                found[0].code,
                found[0].name,
                BodyKind(found[0].kind),
                frozenset(row.email for row in found if row.email is not None),
                bool(found[0].active),
            ),
        )
        for body_id, found in rows.items()
    ]


def read_directory(c: Connection) -> Directory:
    """The whole directory, each part keyed as an import matches it."""
    directory = Directory()
    for agency in agencies(c):
        if isinstance(agency.entry, SettingEntry):
            directory.settings[agency.entry.urn] = agency.entry
        else:
            directory.agencies[agency.entry.code] = agency.entry
    directory.people.update((p.entry.email, p.entry) for p in people(c))
    directory.bodies.update((b.entry.code, b.entry) for b in bodies(c))
    return directory


def ids_of(c: Connection, column: Any, id_column: Any, keys: Iterable[str]) -> dict[str, int]:
    """Row ids by key (a code or e-mail), for keys that are in the table. Many keys (an
    import's) are looked up by reading the key column whole: one indexed scan is cheaper than
    a query per few hundred keys."""
    wanted = set(keys)
    if len(wanted) > CHUNK:
        every = c.execute(select(column, id_column).where(column.is_not(None)))
        return {str(key): int(row_id) for key, row_id in every if key in wanted}
    if not wanted:
        return {}
    found = c.execute(select(column, id_column).where(column.in_(sorted(wanted))))
    return {str(key): int(row_id) for key, row_id in found}
