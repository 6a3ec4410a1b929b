"""Seeding a partnership before anyone can keep its directory (the demonstration, tests,
benchmarks): agencies, people and bodies added as they are, by the same rules as the
directory's commands but without an actor or the log, since there may be no coordinator yet.
And auditors' declarations of involvement.

A partnership's own directory is kept with ``states.services.directory`` and its neighbours,
which log every change.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, select

from states.errors import InvalidInput, NotFound
from states.persistence import tables as t
from states.persistence.ids import PersonKey
from states.persistence.vocabulary import Involvement
from states.rules import directory_values as values
from states.rules.directory import AgencyKind, BodyEntry, BodyKind, Phase, SettingEntry
from states.services.bodies import check_members, checked
from states.services.deps import Deps
from states.services.directory_agencies import checked_setting

INVOLVEMENT = (Involvement.PRACTICE, Involvement.MANAGEMENT)


def add_agency(
    deps: Deps,
    *,
    code: str,
    name: str,
    kind: AgencyKind | str,
    urn: str | None = None,
    phase: Phase | str = Phase.NOT_APPLICABLE,
) -> int:
    """An agency, or with a URN a setting (``kind`` a school, college or early years).

    Unlike the directory's commands, a seed may give a setting's kind without a URN (one
    agency standing for all of a partnership's schools, say): it is read back as an agency,
    and the directory asks for the URN when a coordinator next changes it."""
    chosen = values.choice(kind, AgencyKind, what="kind of agency")
    setting = None
    if urn is not None:
        stage = values.choice(phase, Phase, what="phase")
        setting = checked_setting(SettingEntry(urn, code, name, chosen, stage))
    row = {
        "code": values.code(code),
        "name": values.name(name, what="agency's name"),
        "kind": chosen.value,
        "urn": setting.urn if setting else None,
        "phase": setting.phase.value if setting else None,
    }
    with deps.uow() as uow:
        agency_id = uow.connection.execute(insert(t.agency).returning(t.agency.c.id), row)
        found = agency_id.scalar_one()
        uow.commit()
    return int(found)


def has_people(deps: Deps) -> bool:
    """Whether anyone is in the directory yet (a new partnership's database holds no one)."""
    with deps.uow(readonly=True) as uow:
        return uow.connection.execute(select(t.person.c.id).limit(1)).first() is not None


def add_person(
    deps: Deps, *, name: str, email: str, roles: Iterable[str], agency: str | None = None
) -> int:
    held = values.roles(roles)
    address = values.email(email)
    with deps.uow() as uow:
        agency_id = None
        if agency is not None:
            agency_id = uow.connection.execute(
                select(t.agency.c.id).where(t.agency.c.code == agency)
            ).scalar_one_or_none()
            if agency_id is None:
                raise NotFound("agency", agency)
        person_id = uow.connection.execute(
            insert(t.person).returning(t.person.c.id),
            {"name": name, "email": address, "agency_id": agency_id},
        ).scalar_one()
        for role in sorted(held):
            uow.connection.execute(insert(t.role), {"person_id": person_id, "role": role})
        uow.commit()
    return int(person_id)


def add_body(
    deps: Deps, *, code: str, name: str, kind: BodyKind | str, members: Iterable[str] = ()
) -> int:
    """A body and its members (by e-mail), by the rules a coordinator's changes follow: a
    statutory partners body has one lead per statutory partner."""
    entry = checked(
        BodyEntry(
            code, name, values.choice(kind, BodyKind, what="kind of body"), frozenset(members)
        )
    )
    with deps.uow() as uow:
        c = uow.connection
        people = check_members(c, entry, entry.members)
        body_id = c.execute(
            insert(t.body).returning(t.body.c.id),
            {"code": entry.code, "name": entry.name, "kind": entry.kind.value},
        ).scalar_one()
        if people:
            c.execute(
                insert(t.body_member),
                [{"body_id": body_id, "person_id": p.id} for p in people.values()],
            )
        uow.commit()
    return int(body_id)


def declare_conflict(
    deps: Deps, *, person: PersonKey, case_reference: str, involvement: str
) -> None:
    """An auditor records involvement in a case's practice or management (framework s.11)."""
    if involvement not in INVOLVEMENT:
        raise InvalidInput(f"Involvement must be one of {', '.join(INVOLVEMENT)}.")
    with deps.uow() as uow:
        column = t.person.c.id if isinstance(person, int) else t.person.c.email
        person_id = uow.connection.execute(
            select(t.person.c.id).where(column == person)
        ).scalar_one_or_none()
        if person_id is None:
            raise NotFound("person", person)
        already = uow.connection.execute(
            select(t.conflict.c.id).where(
                t.conflict.c.person_id == person_id, t.conflict.c.case_reference == case_reference
            )
        ).first()
        if already is not None:  # declaring twice is harmless; the first declaration stands
            return
        uow.connection.execute(
            insert(t.conflict),
            {
                "person_id": person_id,
                "case_reference": case_reference,
                "involvement": involvement,
                "declared_at": deps.clock.now(),
            },
        )
        uow.commit()
