"""What every kind of e-mailed link shares: who may hold it, refusals written down, and
expiry counted in working days to close of business.

A link is made for one person in one role (and, for agencies, one agency). Whether that
person may still hold it is asked every time the link is read or used, not only when it was
made: someone removed from the directory, who lost the role, or who moved to another agency
is refused, whether or not their links were withdrawn when it happened.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, select

from states.clock import LONDON, as_utc
from states.errors import (
    AlreadyDecided,
    AuditEngineError,
    TokenAlreadyUsed,
    TokenError,
    TokenExpired,
    TokenRevoked,
)
from states.persistence import tables as t
from states.persistence import tokens
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.vocabulary import LinkPurpose, LinkRefusal
from states.rules.calendar import close_of_business
from states.rules.policy import Permission, roles_for
from states.services import sign_off
from states.services.audits import compiled_for
from states.services.deps import Deps

OUTCOMES: dict[type[AuditEngineError], LinkRefusal] = {
    TokenAlreadyUsed: LinkRefusal.REPLAYED,
    TokenExpired: LinkRefusal.EXPIRED,
    TokenRevoked: LinkRefusal.REVOKED,
    AlreadyDecided: LinkRefusal.DECIDED,
}
# The roles that let a person hold each kind of link (a sign-off link: membership of a body
# its audit's sign-off names, or the roles an older rule names). Agencies' links are also
# bound to the holder's agency.
HOLDER_ROLES: dict[LinkPurpose, frozenset[str]] = {
    LinkPurpose.RETURN: roles_for(Permission.HOLD_RETURN_LINK),
    LinkPurpose.ASSURANCE: roles_for(Permission.HOLD_ASSURANCE_LINK),
    LinkPurpose.ACTION: roles_for(Permission.HOLD_ACTION_LINK),
    LinkPurpose.LETTER: roles_for(Permission.HOLD_LETTER_LINK),
}
# Completing "this link is no longer needed: ..." (and "this e-mail has no link because ...").
REMOVED = "you are no longer in the partnership's directory"
NO_ROLE = "you no longer hold a role that uses it"
MOVED = "you are no longer recorded with the agency it was for"
NOT_A_MEMBER = "you no longer sit on a body that signs this audit off"
STRATEGIC_LEAD_NOW = "your agency now has a strategic lead, who answers for it"


@contextmanager
def recording_refusals(deps: Deps, token: str) -> Iterator[None]:
    """A refused use is counted in its own transaction (the refused one rolls back)."""
    try:
        yield
    except (TokenError, AlreadyDecided) as refusal:
        outcome = OUTCOMES.get(type(refusal), LinkRefusal.UNKNOWN)
        with deps.uow() as uow:
            try:
                token_id: int | None = tokens.find(uow.connection, token).id
            except TokenError:
                token_id = None
            tokens.record_refusal(uow.connection, token_id, outcome, deps.clock.now())
            uow.commit()
        raise


def holder_refusal(
    deps: Deps,
    connection: Connection,
    row: AuditRow,
    person: Actor,
    *,
    purpose: LinkPurpose,
    agency_id: int | None,
) -> str | None:
    """Why ``person`` may not hold a ``purpose`` link for ``agency_id`` on this audit now, or
    None when they may. The same rule decides whether a link is made and whether it works."""
    if not person.active:
        return REMOVED
    if purpose == LinkPurpose.SIGN_OFF:
        definition = compiled_for(deps, AuditStore(connection), row).definition
        rule = sign_off.audit_rule(connection, definition, row.id)
        if rule is None or not sign_off.may_decide(connection, rule, person):
            return NOT_A_MEMBER if rule is not None and rule.bodies is not None else NO_ROLE
        return None
    if not person.roles & HOLDER_ROLES[purpose]:
        return NO_ROLE
    if person.agency_id != agency_id:
        return MOVED
    if purpose == LinkPurpose.ASSURANCE and "strategic_lead" not in person.roles:
        return _standing_in(connection, agency_id)
    return None


def _standing_in(connection: Connection, agency_id: int | None) -> str | None:
    """An agency lead answers a concern for their agency only while it has no strategic
    lead (``states.services.concerns``): once it has one, the strategic lead answers."""
    leads = connection.execute(
        select(t.person.c.id)
        .join(t.role, t.role.c.person_id == t.person.c.id)
        .where(
            t.role.c.role == "strategic_lead",
            t.person.c.agency_id == agency_id,
            t.person.c.active,
        )
        .limit(1)
    ).first()
    return None if leads is None else STRATEGIC_LEAD_NOW


def check_holder(deps: Deps, connection: Connection, grant: tokens.Grant, row: AuditRow) -> Actor:
    """The link's holder, if they may still hold it; otherwise the link is refused."""
    person = AuditStore(connection).load_actor(grant.person_id)
    agency_id = bound_agency(connection, grant.agency_id, grant.escalation_id)
    why = holder_refusal(deps, connection, row, person, purpose=grant.purpose, agency_id=agency_id)
    if why is not None:
        raise TokenRevoked(why)
    return person


def bound_agency(
    connection: Connection, agency_id: int | None, escalation_id: int | None
) -> int | None:
    """The agency a link acts for: its own, or (an assurance link) the concern's agency."""
    if agency_id is not None or escalation_id is None:
        return agency_id
    found = connection.execute(
        select(t.escalation.c.agency_id).where(t.escalation.c.id == escalation_id)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def working_days_after(deps: Deps, instant: datetime, days: int) -> datetime:
    day = as_utc(instant).astimezone(LONDON).date()
    return close_of_business(deps.calendar.add_working_days(day, days))
