"""Removing people and roles from the partnership's directory, and withdrawing their links.

A coordinator removes a person who has left (deactivation) or a role someone no longer holds,
always with a reason, written to the append-only ``directory_change``. Either withdraws at
once the person's unused links that no longer fit (all of them when the person goes) and
ends their signed-in sessions, in the same transaction; what they still had to do is listed
so the coordinator can give it to someone else. Nothing is deleted: past events, decisions
and returns still name them. Links also re-check their holder whenever they are used
(``link_rules``), so withdrawal here is the record and the belt; that check is the braces.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, delete, insert, select, update

from states.definitions.roles import ROLES
from states.errors import InvalidInput, NotFound
from states.persistence import tables as t
from states.persistence import tokens
from states.persistence.store import Actor, AuditStore
from states.rules.policy import Permission, require
from states.services.deps import Deps
from states.services.duties import Duty, open_duties
from states.services.link_rules import REMOVED, bound_agency, holder_refusal
from states.services.web_sessions import EndReason, end_sessions_in

log = logging.getLogger("states.services.people")
Change = Literal["deactivated", "role_removed", "links_revoked"]
MAX_REASON = 1000
WITHDRAWN = "the coordinator withdrew it; ask them for a new link if you still need to act"


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
class _Target:
    actor: Actor
    email: str


def deactivate_person(deps: Deps, *, person: str | int, actor: str | int, reason: str) -> Removed:
    """Remove a person: they hold no role, every unused link of theirs is withdrawn, their
    sessions end, and they get no new links and cannot sign in."""

    def apply(c: Connection, target: _Target, now: datetime) -> int:
        if not target.actor.active:
            raise InvalidInput(f"{target.actor.name} has already been removed; nothing changed.")
        c.execute(update(t.person).where(t.person.c.id == target.actor.id).values(active=False))
        return tokens.revoke(c, t.token.c.person_id == target.actor.id, at=now, why=REMOVED)

    return _change(deps, "deactivated", apply, person=person, actor=actor, reason=reason)


def remove_role(
    deps: Deps, *, person: str | int, role: str, actor: str | int, reason: str
) -> Removed:
    """Take one role away: the person's unused links that only that role made valid are
    withdrawn (a link another role of theirs still allows keeps working)."""
    if role not in ROLES:
        raise InvalidInput(f"There is no role '{role}'; use one of {', '.join(ROLES)}.")

    def apply(c: Connection, target: _Target, now: datetime) -> int:
        if role not in target.actor.roles:
            raise InvalidInput(f"{target.actor.name} does not hold the role {role}.")
        c.execute(
            delete(t.role).where(t.role.c.person_id == target.actor.id, t.role.c.role == role)
        )
        return _revoke_unfit(deps, c, target.actor.id, now)

    return _change(
        deps, "role_removed", apply, person=person, actor=actor, reason=reason, role=role
    )


def revoke_links(deps: Deps, *, person: str | int, actor: str | int, reason: str) -> Removed:
    """Withdraw every unused link of a person who stays (a lost phone, a shared mailbox);
    the next e-mail brings them new ones."""

    def apply(c: Connection, target: _Target, now: datetime) -> int:
        return tokens.revoke(c, t.token.c.person_id == target.actor.id, at=now, why=WITHDRAWN)

    return _change(deps, "links_revoked", apply, person=person, actor=actor, reason=reason)


SESSION_ENDS: dict[Change, EndReason | None] = {
    "deactivated": "deactivated",
    "role_removed": "role_removed",
    "links_revoked": None,
}


def _change(
    deps: Deps,
    change: Change,
    apply: Callable[[Connection, _Target, datetime], int],
    *,
    person: str | int,
    actor: str | int,
    reason: str,
    role: str | None = None,
) -> Removed:
    """One shape for every change: check the coordinator and the reason, apply, withdraw,
    end sessions, record, commit together; then say what is left to reassign."""
    why = _reason(reason)
    now = deps.clock.now()
    with deps.uow() as uow:
        c = uow.connection
        who = _coordinator(AuditStore(c).load_actor(actor))
        target = _target(c, person)
        _not_themselves(who, target, change, role)
        before = open_duties(deps, c, target.actor)
        revoked = apply(c, target, now)
        after = open_duties(deps, c, AuditStore(c).load_actor(target.actor.id))
        ends = SESSION_ENDS[change]
        ended = (
            0 if ends is None else end_sessions_in(c, person_id=target.actor.id, why=ends, at=now)
        )
        c.execute(
            insert(t.directory_change).values(
                person_id=target.actor.id,
                change=change,
                role=role,
                reason=why,
                changed_by=who.id,
                changed_at=now,
                links_revoked=revoked,
            )
        )
        uow.commit()
    # Ids only: the reason stays in the directory log, out of log files.
    log.info("person %d %s by person %d", target.actor.id, change, who.id)
    duties = tuple(sorted(before - after))
    return Removed(target.actor.name, target.email, revoked, ended, duties)


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text or len(text) > MAX_REASON:
        raise InvalidInput(f"Give the reason for the change in 1 to {MAX_REASON:,} characters.")
    return text


def _coordinator(who: Actor) -> Actor:
    require(
        who.roles,
        Permission.COORDINATE,
        refusal=f"Only a coordinator may remove people, their roles or their links, and "
        f"{who.name} is not; ask the learning hub coordinator.",
    )
    return who


def _not_themselves(who: Actor, target: _Target, change: Change, role: str | None) -> None:
    # Otherwise the last coordinator could lock the partnership out of its own directory.
    if who.id == target.actor.id and (change == "deactivated" or role == "coordinator"):
        raise InvalidInput("You cannot remove yourself as a coordinator; ask another one.")


def _target(c: Connection, person: str | int) -> _Target:
    column = t.person.c.id if isinstance(person, int) else t.person.c.email
    key = person if isinstance(person, int) else person.strip().lower()
    found = c.execute(select(t.person.c.id, t.person.c.email).where(column == key)).first()
    if found is None:
        raise NotFound("person", person)
    return _Target(AuditStore(c).load_actor(int(found.id)), str(found.email))


def _revoke_unfit(deps: Deps, c: Connection, person_id: int, now: datetime) -> int:
    """Withdraw the person's unused links that their roles, as they are now, do not allow."""
    person = AuditStore(c).load_actor(person_id)
    store = AuditStore(c)
    live = c.execute(
        select(
            t.token.c.id,
            t.token.c.purpose,
            t.token.c.audit_id,
            t.token.c.agency_id,
            t.token.c.escalation_id,
        ).where(t.token.c.person_id == person_id, tokens.unused(now))
    ).all()
    unfit = [
        link.id
        for link in live
        if holder_refusal(
            deps,
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
    return tokens.revoke(c, t.token.c.id.in_(unfit), at=now, why=why)


# --- reading, for the coordinator -----------------------------------------------------------


def directory(deps: Deps, *, viewer: str | int) -> list[PersonView]:
    """Everyone in the directory, active first, by name: for coordinators only (it lists
    e-mail addresses)."""
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        _coordinator(AuditStore(c).load_actor(viewer))
        return _people(c)


def person_view(deps: Deps, *, viewer: str | int, person: int) -> tuple[PersonView, list[Duty]]:
    """One person and what is still in their name, for the coordinator deciding what to
    remove or, once they are removed, what to give to someone else."""
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        _coordinator(AuditStore(c).load_actor(viewer))
        found = _people(c, person)
        if not found:
            raise NotFound("person", person)
        # As their roles stand on paper: a removed person's duties are still to reassign.
        actor = AuditStore(c).load_actor(person)
        on_paper = replace(actor, roles=frozenset(found[0].roles), active=True)
        return found[0], sorted(open_duties(deps, c, on_paper))


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
