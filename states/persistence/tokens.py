"""Action links: random, single use, bound, expiring — and stored only as a hash.

The token in an e-mail is 256 random bits from ``secrets``; the database keeps its SHA-256,
so a copy of the database yields no usable link. Checking a link never changes it (mail
scanners open links before people do); only using it does, once, under the audit's row lock.
A link can also be withdrawn before use (``revoke``): its holder was removed, a newer link
replaced it, or what it was for is done. Refusals are counted, one row per link and outcome.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from states.clock import as_utc, as_utc_or_none
from states.errors import TokenAlreadyUsed, TokenExpired, TokenInvalid, TokenRevoked
from states.persistence import tables as t
from states.persistence.ids import AgencyId, AuditId, PersonId
from states.persistence.store import AuditRow
from states.persistence.vocabulary import LinkPurpose, LinkRefusal

# Bound to the audit's visit of a stage: the link dies when the audit moves on. An action
# link is bound to its action instead, which outlives stages, a letter link to a frozen
# letter, and an assurance link to its concern, open until answered whatever the stage;
# their services check what they are bound to.
STAGE_BOUND = frozenset({LinkPurpose.SIGN_OFF, LinkPurpose.RETURN})
TOKEN_BYTES = 32
# URL-safe base64 of 32 bytes is 43 characters; anything else cannot be one of ours.
TOKEN_LENGTH = 43


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", errors="replace")).hexdigest()


@dataclass(frozen=True)
class Grant:
    """What a link allows, as stored."""

    id: int
    purpose: LinkPurpose
    person_id: PersonId
    audit_id: AuditId
    agency_id: AgencyId | None
    escalation_id: int | None
    action_id: int | None
    report_id: int | None
    state: str
    round: int
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None = None
    revoked_why: str | None = None


def issue(
    connection: Connection,
    *,
    purpose: LinkPurpose,
    person_id: int,
    audit: AuditRow,
    expires_at: datetime,
    at: datetime,
    agency_id: int | None = None,
    escalation_id: int | None = None,
    action_id: int | None = None,
    report_id: int | None = None,
) -> str:
    """Mint a link for the audit's current visit of its current state; returns the token."""
    if (purpose == LinkPurpose.ACTION) != (action_id is not None):
        raise ValueError("an action link, and only an action link, names its action")
    if (purpose == LinkPurpose.LETTER) != (report_id is not None):
        raise ValueError("a letter link, and only a letter link, names its letter")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    connection.execute(
        insert(t.token),
        {
            "token_hash": digest(token),
            "purpose": purpose,
            "person_id": person_id,
            "audit_id": audit.id,
            "agency_id": agency_id,
            "escalation_id": escalation_id,
            "action_id": action_id,
            "report_id": report_id,
            "state": audit.state,
            "round": audit.state_round,
            "created_at": at,
            "expires_at": expires_at,
        },
    )
    return token


def find(connection: Connection, token: str) -> Grant:
    """The grant behind a token, or TokenInvalid: malformed and unknown tokens look alike."""
    if len(token) != TOKEN_LENGTH:
        raise TokenInvalid()
    row = connection.execute(
        select(
            t.token.c.id,
            t.token.c.purpose,
            t.token.c.person_id,
            t.token.c.audit_id,
            t.token.c.agency_id,
            t.token.c.escalation_id,
            t.token.c.action_id,
            t.token.c.report_id,
            t.token.c.state,
            t.token.c.round,
            t.token.c.expires_at,
            t.token.c.used_at,
            t.token.c.revoked_at,
            t.token.c.revoked_why,
        ).where(t.token.c.token_hash == digest(token))
    ).first()
    if row is None:
        raise TokenInvalid()
    return Grant(
        id=row.id,
        purpose=LinkPurpose(row.purpose),
        person_id=row.person_id,
        audit_id=row.audit_id,
        agency_id=row.agency_id,
        escalation_id=row.escalation_id,
        action_id=row.action_id,
        report_id=row.report_id,
        state=row.state,
        round=row.round,
        expires_at=as_utc(row.expires_at),
        used_at=as_utc_or_none(row.used_at),
        revoked_at=as_utc_or_none(row.revoked_at),
        revoked_why=row.revoked_why,
    )


def check(grant: Grant, audit: AuditRow, *, purpose: LinkPurpose, now: datetime) -> None:
    """Refuse a link used for the wrong thing, too late, twice, or after the audit moved on."""
    if grant.purpose != purpose or grant.audit_id != audit.id:
        raise TokenInvalid()
    if grant.used_at is not None:
        raise TokenAlreadyUsed()
    if grant.revoked_at is not None:
        raise TokenRevoked(grant.revoked_why or "it was withdrawn")
    if grant.purpose in STAGE_BOUND and (audit.state, audit.state_round) != (
        grant.state,
        grant.round,
    ):
        raise TokenRevoked()
    if now >= grant.expires_at:
        raise TokenExpired()


def consume(connection: Connection, grant: Grant, *, at: datetime) -> None:
    """Mark the link used; a second use in a race finds it used and is refused, and a link
    withdrawn since it was checked is refused as withdrawn."""
    done = connection.execute(
        update(t.token)
        .where(
            t.token.c.id == grant.id, t.token.c.used_at.is_(None), t.token.c.revoked_at.is_(None)
        )
        .values(used_at=at)
    )
    if done.rowcount != 1:
        now = connection.execute(
            select(t.token.c.used_at, t.token.c.revoked_why).where(t.token.c.id == grant.id)
        ).one()
        if now.used_at is None:
            raise TokenRevoked(now.revoked_why or "it was withdrawn")
        raise TokenAlreadyUsed()


def unused(at: datetime) -> ColumnElement[bool]:
    """Links that could still be used: neither used, withdrawn nor expired."""
    c = t.token.c
    return c.used_at.is_(None) & c.revoked_at.is_(None) & (c.expires_at > at)


def revoke(connection: Connection, *conditions: ColumnElement[bool], at: datetime, why: str) -> int:
    """Withdraw the unused links matching ``conditions``; returns how many. ``why`` completes
    "this link is no longer needed: ..." on the holder's page, so it is the engine's own
    words, never free text someone typed."""
    done = connection.execute(
        update(t.token).where(unused(at), *conditions).values(revoked_at=at, revoked_why=why)
    )
    return int(done.rowcount)


def record_refusal(
    connection: Connection, token_id: int | None, outcome: LinkRefusal, at: datetime
) -> None:
    """Count one refused use: the first makes the link's row for this outcome, the rest add
    to it. A token that is not ours is not recorded (it names nothing)."""
    if token_id is None:
        return
    dialect = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = dialect(t.token_event).values(
        token_id=token_id, outcome=outcome, at=at, last_at=at, times=1
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[t.token_event.c.token_id, t.token_event.c.outcome],
            set_={"times": t.token_event.c.times + 1, "last_at": at},
        )
    )
