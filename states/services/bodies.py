"""The bodies that decide, or that the programme reports to, and their members.

The learning hub, the statutory partners, the performance group and subgroups. A statutory
partners body has one named lead per statutory partner (the local authority, the police, the
integrated care board): each member must belong to one of those agencies, and no agency may
have two. Every body and every membership change is logged; someone removed from the
directory leaves every body in the same transaction (``leave_all``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import Connection, delete, insert, select, update

from states.errors import InvalidInput, NotFound
from states.persistence import tables as t
from states.persistence import tokens
from states.persistence.directory_log import Change
from states.persistence.store import AuditStore
from states.persistence.vocabulary import LinkPurpose
from states.rules import directory_values as values
from states.rules.directory import STATUTORY_PARTNER_KINDS, AgencyKind, BodyEntry, BodyKind
from states.rules.directory_log import Logged, Subject, added, changes
from states.services.deps import Deps
from states.services.directory_read import Found, bodies, find_body
from states.services.directory_write import Edit, directory_write, reading
from states.services.link_rules import NOT_A_MEMBER, holder_refusal


@dataclass(frozen=True)
class Member:
    id: int
    email: str
    name: str
    active: bool
    agency_id: int | None
    agency: str | None  # the agency's name
    agency_kind: AgencyKind | None


def add_body(
    deps: Deps, *, code: str, name: str, kind: str, actor: str | int, reason: str
) -> BodyEntry:
    entry = BodyEntry(
        values.code(code, what="body"), name, values.choice(kind, BodyKind, what="kind of body")
    )
    with directory_write(deps, actor=actor, reason=reason) as edit:
        if find_body(edit.c, entry.code) is not None:
            raise InvalidInput(f"There is already a body with the code {entry.code}.")
        return put_body(edit, entry, None)


def change_body(
    deps: Deps,
    *,
    body: str,
    actor: str | int,
    reason: str,
    name: str | None = None,
    kind: str | None = None,
    active: bool | None = None,
) -> BodyEntry:
    with directory_write(deps, actor=actor, reason=reason) as edit:
        current = existing(edit.c, body)
        entry = current.entry
        if name is not None:
            entry = replace(entry, name=name)
        if kind is not None:
            entry = replace(entry, kind=values.choice(kind, BodyKind, what="kind of body"))
        if active is not None:
            entry = replace(entry, active=active)
        return put_body(edit, entry, current)


def add_member(deps: Deps, *, body: str, person: str, actor: str | int, reason: str) -> BodyEntry:
    email = values.email(person)
    with directory_write(deps, actor=actor, reason=reason) as edit:
        current = existing(edit.c, body)
        if email in current.entry.members:
            raise InvalidInput(f"They are already a member of {current.entry.name}.")
        members = current.entry.members | {email}
        return put_body(edit, replace(current.entry, members=members), current)


def remove_member(
    deps: Deps, *, body: str, person: str, actor: str | int, reason: str
) -> BodyEntry:
    email = values.email(person)
    with directory_write(deps, actor=actor, reason=reason) as edit:
        current = existing(edit.c, body)
        if email not in current.entry.members:
            raise InvalidInput(f"They are not a member of {current.entry.name}.")
        members = current.entry.members - {email}
        return put_body(edit, replace(current.entry, members=members), current)


def existing(c: Connection, code: str) -> Found[BodyEntry]:
    found = find_body(c, code)
    if found is None:
        raise NotFound("body", code)
    return found


def put_body(edit: Edit, entry: BodyEntry, current: Found[BodyEntry] | None) -> BodyEntry:
    """Store the body as ``entry`` says, members included, and log each change."""
    entry = checked(entry)
    old_members = frozenset() if current is None else current.entry.members
    joining = entry.members - old_members
    members = check_members(edit.c, entry, joining)
    body_id = _save(edit, entry, current)
    leaving = old_members - entry.members
    if leaving:
        gone = [m.id for m in _members(edit.c, leaving).values()]
        edit.c.execute(
            delete(t.body_member).where(
                t.body_member.c.body_id == body_id, t.body_member.c.person_id.in_(gone)
            )
        )
        _log_members(edit, body_id, gone, Logged.MEMBER_REMOVED)
    if joining:
        new = sorted(members[email].id for email in joining)
        edit.c.execute(insert(t.body_member), [{"body_id": body_id, "person_id": p} for p in new])
        _log_members(edit, body_id, new, Logged.MEMBER_ADDED)
    # Off the body, or on one that no longer decides as it did: their sign-off links go.
    closed = current is not None and (not entry.active or entry.kind != current.entry.kind)
    unseated = old_members if closed else leaving
    if unseated:
        withdraw_sign_off_links(edit, [m.id for m in _members(edit.c, unseated).values()])
    return entry


def withdraw_sign_off_links(edit: Edit, people: Iterable[int]) -> int:
    """Withdraw the sign-off links of people who, off this body (or with it closed), no longer
    sit on any body their audit's sign-off names, as a role's links go when it is taken away."""
    c, store, withdrawn = edit.c, AuditStore(edit.c), 0
    for person_id in sorted(set(people)):
        person = store.load_actor(person_id)
        live = c.execute(
            select(t.token.c.id, t.token.c.audit_id).where(
                t.token.c.person_id == person_id,
                t.token.c.purpose == LinkPurpose.SIGN_OFF,
                tokens.unused(edit.now),
            )
        ).all()
        unfit = [
            token_id
            for token_id, audit_id in live
            if holder_refusal(
                edit.deps,
                c,
                store.load_audit(audit_id),
                person,
                purpose=LinkPurpose.SIGN_OFF,
                agency_id=None,
            )
        ]
        if unfit:
            withdrawn += tokens.revoke(c, t.token.c.id.in_(unfit), at=edit.now, why=NOT_A_MEMBER)
    return withdrawn


def checked(entry: BodyEntry) -> BodyEntry:
    return replace(
        entry,
        code=values.code(entry.code, what="body"),
        name=values.name(entry.name, what="body's name"),
        kind=BodyKind(entry.kind),
        members=frozenset(values.email(member) for member in entry.members),
    )


def _save(edit: Edit, entry: BodyEntry, current: Found[BodyEntry] | None) -> int:
    row = {"code": entry.code, "name": entry.name, "kind": entry.kind.value, "active": entry.active}
    if current is None:
        body_id = int(edit.c.execute(insert(t.body).returning(t.body.c.id), row).scalar_one())
        fields = added(row)
        edit.log(Change(Subject.BODY, Logged.ADDED, body_id=body_id, fields=fields))
        return body_id
    old = current.entry
    fields = changes({"name": old.name, "kind": old.kind}, {"name": entry.name, "kind": entry.kind})
    if fields or old.active != entry.active:
        edit.c.execute(update(t.body).where(t.body.c.id == current.id).values(**row))
        change = _flip(old.active, entry.active)
        edit.log(Change(Subject.BODY, change, body_id=current.id, fields=fields))
    return current.id


def _flip(was: bool, now: bool) -> Logged:
    if was and not now:
        return Logged.DEACTIVATED
    return Logged.REACTIVATED if now and not was else Logged.CHANGED


def _log_members(edit: Edit, body_id: int, people: Iterable[int], change: Logged) -> None:
    for person_id in people:
        edit.log(Change(Subject.BODY, change, body_id=body_id, person_id=person_id))


def check_members(c: Connection, entry: BodyEntry, joining: Iterable[str]) -> dict[str, Member]:
    """Everyone ``entry`` lists, by e-mail, once each is known to be allowed: people joining
    must be in the directory, and a statutory partners body has one lead per partner."""
    members = _members(c, entry.members)
    missing = sorted(entry.members - set(members))
    if missing:
        raise NotFound("person", missing[0])
    for email in sorted(joining):
        if not members[email].active:
            raise InvalidInput(
                f"{members[email].name} has been removed from the directory, so cannot join "
                f"{entry.name}."
            )
    if entry.kind is BodyKind.STATUTORY_PARTNERS:
        _one_lead_per_partner(entry, members.values())
    return members


def _one_lead_per_partner(entry: BodyEntry, members: Iterable[Member]) -> None:
    leads: dict[int, Member] = {}
    for member in sorted(members, key=lambda m: m.email):
        if member.agency_id is None or member.agency_kind not in STATUTORY_PARTNER_KINDS:
            raise InvalidInput(
                f"{member.name} is not with a statutory partner (the local authority, the "
                f"police or the integrated care board), so cannot be a lead on {entry.name}."
            )
        other = leads.setdefault(member.agency_id, member)
        if other is not member:
            raise InvalidInput(
                f"{member.agency} already has its lead on {entry.name} ({other.name}); each "
                "statutory partner has one: remove that lead first."
            )


def _members(c: Connection, emails: Iterable[str]) -> dict[str, Member]:
    wanted = sorted(set(emails))
    if not wanted:
        return {}
    p, a = t.person, t.agency
    rows = c.execute(
        select(p.c.id, p.c.email, p.c.name, p.c.active, p.c.agency_id, a.c.name, a.c.kind)
        .outerjoin(a, a.c.id == p.c.agency_id)
        .where(p.c.email.in_(wanted))
    ).all()
    return {
        row[1]: Member(
            int(row[0]),
            row[1],
            row[2],
            bool(row[3]),
            row[4],
            row[5],
            None if row[6] is None else AgencyKind(row[6]),
        )
        for row in rows
    }


def leave_all(edit: Edit, person_id: int) -> None:
    """Someone removed from the directory leaves every body they were a member of."""
    m = t.body_member
    body_ids = sorted(
        edit.c.execute(select(m.c.body_id).where(m.c.person_id == person_id)).scalars()
    )
    if body_ids:
        edit.c.execute(delete(m).where(m.c.person_id == person_id))
    for body_id in body_ids:
        edit.log(Change(Subject.BODY, Logged.MEMBER_REMOVED, body_id=body_id, person_id=person_id))


# --- reading, for the coordinator ------------------------------------------------------------


@dataclass(frozen=True)
class BodyView:
    code: str
    name: str
    kind: BodyKind
    active: bool
    members: tuple[Member, ...]


def views(deps: Deps, *, viewer: str | int, code: str | None = None) -> list[BodyView]:
    """Every body (or the one with ``code``) and its members, by name."""
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        reading(c, viewer)
        found = [existing(c, code)] if code is not None else bodies(c)
        shown = []
        for body in found:
            members = sorted(_members(c, body.entry.members).values(), key=lambda m: m.name)
            entry = body.entry
            shown.append(BodyView(entry.code, entry.name, entry.kind, entry.active, tuple(members)))
        return shown
