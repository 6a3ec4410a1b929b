"""Minting links, when a message is sent: who may hold each kind, until when, and what a
new one withdraws.

The token goes into one e-mail and nowhere else (the database keeps its hash). A link is
made only for someone who may hold it now (``link_rules.holder_refusal``) and only while
there is something left to do; otherwise the reason is returned, for the e-mail to say so
instead of carrying a link its reader cannot use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from states.clock import as_utc, as_utc_or_none
from states.errors import NotFound
from states.persistence import tables as t
from states.persistence import tokens
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.vocabulary import LinkPurpose
from states.rules.policy import Permission, allows
from states.services.action_links import SUPERSEDED, action_expiry
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.letters import letter_expiry
from states.services.link_rules import bound_agency, holder_refusal, working_days_after

# Links made for the holder's own agency; a sign-off member acts for the partnership, and an
# assurance link is bound to the concern's agency instead.
AGENCY_BOUND = frozenset({LinkPurpose.RETURN, LinkPurpose.ACTION, LinkPurpose.LETTER})
# Completes "this e-mail has no link because ...".
NOTHING_LEFT = "there is nothing left for you to do by link on this audit just now"
NO_PAGES = (
    "the audit's own pages are open only to the partnership's coordinators and learning hub "
    "members, who sign in to read them"
)


@dataclass(frozen=True)
class Minted:
    """A new link's token, or why none was made (in words for the e-mail)."""

    token: str | None
    why_not: str | None = None


def mint(
    deps: Deps,
    *,
    purpose: LinkPurpose,
    audit_id: int,
    person_id: int,
    escalation_id: int | None = None,
    action_id: int | None = None,
    report_id: int | None = None,
) -> str | None:
    """A new link for a message being sent now, or None (see ``mint_link`` for why)."""
    return mint_link(
        deps,
        purpose=purpose,
        audit_id=audit_id,
        person_id=person_id,
        escalation_id=escalation_id,
        action_id=action_id,
        report_id=report_id,
    ).token


def mint_link(
    deps: Deps,
    *,
    purpose: LinkPurpose,
    audit_id: int,
    person_id: int,
    escalation_id: int | None = None,
    action_id: int | None = None,
    report_id: int | None = None,
) -> Minted:
    """A new link for a message being sent now, or why there is none: the person may not
    hold it (removed, without the role, another agency's action or letter), or there is
    nothing left to do. A new action link withdraws the person's older ones to that action,
    so only the most recent e-mail's link works."""
    now = deps.clock.now()
    with deps.uow() as uow:
        c = uow.connection
        store = AuditStore(c)
        row = store.load_audit(audit_id)
        person = store.load_actor(person_id)
        agency_id = _bound_agency(c, purpose, person, escalation_id)
        why = holder_refusal(deps, c, row, person, purpose=purpose, agency_id=agency_id)
        if why is not None:
            return Minted(None, why)
        expires = _expiry_of(
            deps,
            c,
            row,
            person,
            purpose,
            escalation_id=escalation_id,
            action_id=action_id,
            report_id=report_id,
        )
        if expires is None or expires <= now:
            return Minted(None, NOTHING_LEFT)
        if purpose == LinkPurpose.ACTION:
            mine = (t.token.c.action_id == action_id) & (t.token.c.person_id == person_id)
            tokens.revoke(c, mine, at=now, why=SUPERSEDED)
        token = tokens.issue(
            c,
            purpose=purpose,
            person_id=person_id,
            audit=row,
            expires_at=expires,
            at=now,
            escalation_id=escalation_id,
            action_id=action_id if purpose == LinkPurpose.ACTION else None,
            report_id=report_id if purpose == LinkPurpose.LETTER else None,
            agency_id=person.agency_id if purpose in AGENCY_BOUND else None,
        )
        uow.commit()
    return Minted(token)


def _bound_agency(
    connection: Connection, purpose: LinkPurpose, person: Actor, escalation_id: int | None
) -> int | None:
    if purpose == LinkPurpose.ASSURANCE:
        return bound_agency(connection, None, escalation_id)
    return person.agency_id


def _expiry_of(
    deps: Deps,
    connection: Connection,
    row: AuditRow,
    person: Actor,
    purpose: LinkPurpose,
    *,
    escalation_id: int | None,
    action_id: int | None,
    report_id: int | None,
) -> datetime | None:
    now = deps.clock.now()
    if purpose == LinkPurpose.ACTION:
        return action_expiry(deps, connection, row, person, action_id, now=now)
    if purpose == LinkPurpose.LETTER:
        return letter_expiry(deps, connection, row, person, report_id, now=now)
    return _expiry(deps, connection, row, purpose, escalation_id=escalation_id, now=now)


def _expiry(
    deps: Deps,
    connection: Connection,
    row: AuditRow,
    purpose: LinkPurpose,
    *,
    escalation_id: int | None,
    now: datetime,
) -> datetime | None:
    compiled = compiled_for(deps, AuditStore(connection), row)
    definition = compiled.definition
    spec = definition.state(row.state).deadline
    after = definition.link_expiry_working_days
    if purpose == LinkPurpose.SIGN_OFF:
        if spec is None or spec.owed_by != "sign_off_members" or definition.sign_off is None:
            return None
        days = definition.sign_off.link_expiry_working_days
        return working_days_after(deps, now, days)
    if purpose == LinkPurpose.RETURN:
        if not compiled.stages.collects_returns(row.state):
            return None
        due = _open_deadline(connection, row)
        if due is None:
            return None
        # A return still owed once its deadline is long past is chased by overdue reminders:
        # each carries a link good for as long after it is sent as one sent on time.
        return max(working_days_after(deps, due, after), working_days_after(deps, now, after))
    due = connection.execute(
        select(t.escalation.c.assurance_due_at).where(
            t.escalation.c.id == escalation_id, t.escalation.c.assured_at.is_(None)
        )
    ).scalar_one_or_none()
    return None if due is None else working_days_after(deps, as_utc(due), after)


def _open_deadline(connection: Connection, row: AuditRow) -> datetime | None:
    due = connection.execute(
        select(t.deadline.c.due_at).where(
            t.deadline.c.audit_id == row.id, t.deadline.c.round == row.state_round
        )
    ).scalar_one_or_none()
    return as_utc_or_none(due)


def audit_page_refusal(deps: Deps, person_id: int) -> str | None:
    """Why a message's link to the audit's own page would be a locked door for this reader
    (agencies, settings and auditors work by their own links and never sign in), or None
    when they may sign in and read it. The message then says so rather than carry it."""
    with deps.uow(readonly=True) as uow:
        return audit_page_refusal_in(uow.connection, person_id)


def audit_page_refusal_in(connection: Connection, person_id: int) -> str | None:
    """``audit_page_refusal`` inside a unit of work already open."""
    try:
        person = AuditStore(connection).load_actor(person_id)
    except NotFound:
        return NO_PAGES
    return None if person.active and allows(person.roles, Permission.SIGN_IN) else NO_PAGES
