"""The partnership's agencies and people, and auditors' declarations of involvement."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, select

from states.definitions.roles import ROLES
from states.errors import InvalidInput, NotFound
from states.persistence import tables as t
from states.services.deps import Deps

INVOLVEMENT = ("practice", "management")


def add_agency(deps: Deps, *, code: str, name: str, kind: str) -> int:
    with deps.uow() as uow:
        agency_id = uow.connection.execute(
            insert(t.agency).returning(t.agency.c.id), {"code": code, "name": name, "kind": kind}
        ).scalar_one()
        uow.commit()
    return int(agency_id)


def has_people(deps: Deps) -> bool:
    """Whether anyone is in the directory yet (a new partnership's database holds no one)."""
    with deps.uow(readonly=True) as uow:
        return uow.connection.execute(select(t.person.c.id).limit(1)).first() is not None


def add_person(
    deps: Deps, *, name: str, email: str, roles: Iterable[str], agency: str | None = None
) -> int:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise InvalidInput(f"Unknown role {', '.join(unknown)}; use one of {', '.join(ROLES)}.")
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
            {"name": name, "email": email.lower(), "agency_id": agency_id},
        ).scalar_one()
        for role in sorted(set(roles)):
            uow.connection.execute(insert(t.role), {"person_id": person_id, "role": role})
        uow.commit()
    return int(person_id)


def declare_conflict(
    deps: Deps, *, person: str | int, case_reference: str, involvement: str
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
