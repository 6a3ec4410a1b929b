"""Removing people and roles from the partnership's directory, and withdrawing their links.

A coordinator removes a person who has left (deactivation) or a role someone no longer holds,
always with a reason, written to the directory's append-only log. Either withdraws at once
the person's unused links that no longer fit (all of them when the person goes) and ends
their signed-in sessions, in the same transaction (``directory_write``); what they still had
to do is listed so the coordinator can hand it over (``states.services.handover``). Nothing
is deleted: past events, decisions and returns still name them. Links also re-check their
holder whenever they are used (``link_rules``), so withdrawal here is the record and the
belt; that check is the braces.

``deactivate`` and ``take_role`` work inside a caller's ``Edit``, so adding, changing and
importing people (``directory_people``) remove people and roles the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from sqlalchemy import Connection, delete, select, update

from states.definitions.roles import ROLES
from states.errors import InvalidInput, NotFound
from states.persistence import calendar_entries, tokens
from states.persistence import tables as t
from states.persistence.directory_log import Change
from states.persistence.store import Actor, AuditStore
from states.rules.directory_log import Logged, Subject
from states.services import bodies
from states.services.deps import Deps
from states.services.directory_write import MAX_REASON, Edit, directory_write, reading
from states.services.duties import Duty, open_duties
from states.services.link_rules import REMOVED, bound_agency, holder_refusal
from states.services.web_sessions import end_sessions_in

__all__ = [
    "MAX_REASON",  # the pages' limit on a reason, which the directory's write path sets
    "PersonView",
    "Removed",
    "Target",
    "deactivate",
    "deactivate_person",
    "directory",
    "on_paper",
    "person_view",
    "remove_role",
    "revoke_links",
    "revoke_unfit",
    "take_role",
    "target",
]
log = logging.getLogger("states.services.people")
WITHDRAWN = "the coordinator withdrew it; ask them for a new link if you still need to act"
DOING = "remove people, their roles or their links"


@dataclass(frozen=True)
class Removed:
    """What a removal did: links withdrawn, sessions ended, and what is left to reassign."""

    name: str
    email: str
    links_revoked: int
    sessions_ended: int
    duties: tuple[Duty, ...]


@dataclass(frozen=True)
class PersonView:
    """A person as the coordinator's directory shows them."""

    id: int
    name: str
    email: str
    agency: str | None
    roles: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class Target:
    """The person a change is about, as the engine sees them now."""

    actor: Actor
    email: str


def deactivate_person(deps: Deps, *, person: str | int, actor: str | int, reason: str) -> Removed:
    """Remove a person: they hold no role, every unused link of theirs is withdrawn, their
    sessions end, they leave every body, and they get no new links and cannot sign in."""
    with directory_write(deps, actor=actor, reason=reason, doing=DOING) as edit:
        who = target(edit.c, person)
        removed = deactivate(edit, who)
    _told(who, Logged.DEACTIVATED, edit)
    return removed


def remove_role(
    deps: Deps, *, person: str | int, role: str, actor: str | int, reason: str
) -> Removed:
    """Take one role away: the person's unused links that only that role made valid are
    withdrawn (a link another role of theirs still allows keeps working)."""
    if role not in ROLES:
        raise InvalidInput(f"There is no role '{role}'; use one of {', '.join(ROLES)}.")
    with directory_write(deps, actor=actor, reason=reason, doing=DOING) as edit:
        who = target(edit.c, person)
        removed = take_role(edit, who, role)
    _told(who, Logged.ROLE_REMOVED, edit)
    return removed


def revoke_links(deps: Deps, *, person: str | int, actor: str | int, reason: str) -> Removed:
    """Withdraw every unused link of a person who stays (a lost phone, a shared mailbox);
    the next e-mail brings them new ones."""
    with directory_write(deps, actor=actor, reason=reason, doing=DOING) as edit:
        who = target(edit.c, person)
        revoked = tokens.revoke(
            edit.c, t.token.c.person_id == who.actor.id, at=edit.now, why=WITHDRAWN
        )
        edit.log(
            Change(
                Subject.PERSON, Logged.LINKS_REVOKED, person_id=who.actor.id, links_revoked=revoked
            )
        )
    removed = Removed(who.actor.name, who.email, revoked, 0, ())
    _told(who, Logged.LINKS_REVOKED, edit)
    return removed


def deactivate(edit: Edit, person: Target) -> Removed:
    if not person.actor.active:
        raise InvalidInput(f"{person.actor.name} has already been removed; nothing changed.")
    _not_themselves(edit.who, person, deactivating=True)
    c, person_id = edit.c, person.actor.id
    before = open_duties(edit.deps, c, person.actor)
    c.execute(update(t.person).where(t.person.c.id == person_id).values(active=False))
    calendar_entries.release_person(c, person_id, at=edit.now)
    revoked = tokens.revoke(c, t.token.c.person_id == person_id, at=edit.now, why=REMOVED)
    ended = end_sessions_in(c, person_id=person_id, why="deactivated", at=edit.now)
    bodies.leave_all(edit, person_id)
    edit.log(Change(Subject.PERSON, Logged.DEACTIVATED, person_id=person_id, links_revoked=revoked))
    return Removed(person.actor.name, person.email, revoked, ended, tuple(sorted(before)))


def take_role(edit: Edit, person: Target, role: str) -> Removed:
    if role not in person.actor.roles:
        raise InvalidInput(f"{person.actor.name} does not hold the role {role}.")
    _not_themselves(edit.who, person, deactivating=False, role=role)
    c, person_id = edit.c, person.actor.id
    before = open_duties(edit.deps, c, person.actor)
    c.execute(delete(t.role).where(t.role.c.person_id == person_id, t.role.c.role == role))
    revoked = revoke_unfit(edit, person_id)
    after = open_duties(edit.deps, c, AuditStore(c).load_actor(person_id))
    ended = end_sessions_in(c, person_id=person_id, why="role_removed", at=edit.now)
    edit.log(
        Change(
            Subject.PERSON,
            Logged.ROLE_REMOVED,
            person_id=person_id,
            role=role,
            links_revoked=revoked,
        )
    )
    return Removed(person.actor.name, person.email, revoked, ended, tuple(sorted(before - after)))


def _told(person: Target, change: Logged, edit: Edit) -> None:
    # Ids only: the reason stays in the directory log, out of log files.
    log.info("person %d %s by person %d", person.actor.id, change, edit.who.id)


def _not_themselves(
    who: Actor, person: Target, *, deactivating: bool, role: str | None = None
) -> None:
    # Otherwise the last coordinator could lock the partnership out of its own directory.
    if who.id == person.actor.id and (deactivating or role == "coordinator"):
        raise InvalidInput("You cannot remove yourself as a coordinator; ask another one.")


def target(c: Connection, person: str | int) -> Target:
    column = t.person.c.id if isinstance(person, int) else t.person.c.email
    key = person if isinstance(person, int) else person.strip().lower()
    found = c.execute(select(t.person.c.id, t.person.c.email).where(column == key)).first()
    if found is None:
        raise NotFound("person", person)
    return Target(AuditStore(c).load_actor(int(found.id)), str(found.email))


def revoke_unfit(edit: Edit, person_id: int) -> int:
    """Withdraw the person's unused links that they may not hold as they are now (their
    roles, their agency)."""
    c = edit.c
    store = AuditStore(c)
    person = store.load_actor(person_id)
    live = c.execute(
        select(
            t.token.c.id,
            t.token.c.purpose,
            t.token.c.audit_id,
            t.token.c.agency_id,
            t.token.c.escalation_id,
        ).where(t.token.c.person_id == person_id, tokens.unused(edit.now))
    ).all()
    unfit = [
        link.id
        for link in live
        if holder_refusal(
            edit.deps,
            c,
            store.load_audit(link.audit_id),
            person,
            purpose=link.purpose,
            agency_id=bound_agency(c, link.agency_id, link.escalation_id),
        )
        is not None
    ]
    if not unfit:
        return 0
    why = "you no longer hold the role it was sent for"
    return tokens.revoke(c, t.token.c.id.in_(unfit), at=edit.now, why=why)


# --- reading, for the coordinator -----------------------------------------------------------


def directory(deps: Deps, *, viewer: str | int) -> list[PersonView]:
    """Everyone in the directory, active first, by name: for coordinators only (it lists
    e-mail addresses)."""
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        reading(c, viewer)
        return _people(c)


def person_view(deps: Deps, *, viewer: str | int, person: int) -> tuple[PersonView, list[Duty]]:
    """One person and what is still in their name, for the coordinator deciding what to
    remove or, once they are removed, what to give to someone else."""
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        reading(c, viewer)
        found = _people(c, person)
        if not found:
            raise NotFound("person", person)
        return found[0], sorted(open_duties(deps, c, on_paper(c, person)))


def on_paper(c: Connection, person_id: int) -> Actor:
    """The person with the roles the directory records for them, as if still active: a
    removed person's duties are still to reassign."""
    actor = AuditStore(c).load_actor(person_id)
    held = c.execute(select(t.role.c.role).where(t.role.c.person_id == person_id)).scalars()
    return replace(actor, roles=frozenset(held), active=True)


def _people(c: Connection, only: int | None = None) -> list[PersonView]:
    statement = (
        select(
            t.person.c.id,
            t.person.c.name,
            t.person.c.email,
            t.agency.c.name.label("agency"),
            t.person.c.active,
            t.role.c.role,
        )
        .outerjoin(t.agency, t.agency.c.id == t.person.c.agency_id)
        .outerjoin(t.role, t.role.c.person_id == t.person.c.id)
        .order_by(t.person.c.active.desc(), t.person.c.name, t.person.c.id, t.role.c.role)
    )
    if only is not None:
        statement = statement.where(t.person.c.id == only)
    people: dict[int, PersonView] = {}
    for row in c.execute(statement):
        seen = people.get(row.id)
        roles = (() if seen is None else seen.roles) + ((row.role,) if row.role else ())
        people[row.id] = PersonView(
            row.id, row.name, row.email, row.agency, roles, bool(row.active)
        )
    return list(people.values())
