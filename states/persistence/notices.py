"""The notification port: messages are queued in the outbox inside the transaction that
caused them, keyed so the same message is never queued twice. Sending is the relay's job.

A message carries its kind, ids and a small context of safe references — the opaque audit
reference, the theme, dates, agency names — never anything typed into a return, a concern or
a comment. What people read is rendered from templates when it is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Connection, Select, insert, select

from states.persistence import tables as t
from states.persistence.calendar_holding import ENTRY_KEY, hold
from states.persistence.vocabulary import LinkPurpose

AUDIT_KINDS = (
    "audit_started",
    "return_requested",
    "reminder",
    "overdue",
    "escalation",
    "sign_off_requested",
    "sign_off_decided",
    # To the members asked for a decision who had not given one when sign-off finished
    # (signed off, or sent back): once, saying only which (never anyone's comment).
    "sign_off_closed",
    "further_assurance_requested",
    "immediate_risk_raised",
    "assurance_received",
    "action_assigned",
    "action_returned",
    "action_evidence_submitted",
    "feedback_letter_ready",
    "settings_summary_ready",
    # To the learning hub's members: an agency raised an exception report with it.
    "exception_raised",
    # To the coordinators: agencies or settings on the audit nobody could be asked for a
    # return (states.services.unasked).
    "returns_unasked",
    # To an agency's leads: the response it writes as the report is asked for (no link:
    # it is written with ``oscp report draft``; states.services.messages).
    "response_requested",
    # To the chair and the agencies' leads: the audit was withdrawn (never why: the reason
    # stays in its history; states.services.messages).
    "audit_withdrawn",
    # The audit's discussion meeting (states.services.meetings), to those invited: each
    # carries the calendar entry (notifications.meeting_calendar), REQUEST or CANCEL. A
    # cancellation never says why: the reason stays in the audit's history.
    "meeting_invitation",
    "meeting_updated",
    "meeting_cancelled",
    # A deadline's calendar entry moved, or taken back (met, or withdrawn), to those holding
    # it (states.persistence.calendar_entries); each carries the entry, REQUEST or CANCEL.
    "deadline_moved",
    "deadline_cancelled",
)
# Messages about a person's own account rather than an audit: they carry no audit.
ACCOUNT_KINDS = ("sign_in_failures",)
KINDS = AUDIT_KINDS + ACCOUNT_KINDS
# The only context keys a message may carry; anything else is refused, so free text cannot
# slip into an e-mail by being added to a context somewhere.
CONTEXT_KEYS = frozenset(
    {
        "audit",
        "theme",
        "audit_title",
        "state_title",
        "deadline_at",
        "step",
        "agency",
        # Names of agencies or settings, "; " between them; never anything about a case.
        "agencies",
        "decision",
        "link_path",
        # Failed sign-ins: how many, from how many network addresses, since when.
        "failures",
        "addresses",
        "since",
        # The discussion meeting: its start and end (ISO instants), its place (one short
        # line the page asks to keep free of case details) and its https online link.
        "starts_at",
        "ends_at",
        "place",
        "online_link",
        # A deadline's calendar entry, by id (states.persistence.calendar_holding), what it
        # asks for (calendar_records.Due) and, for an action's, the action's number.
        "calendar_entry",
        "due",
        "action",
    }
)


def recipients(
    connection: Connection, *, roles: Iterable[str], lead_id: int, agency_id: int | None
) -> list[int]:
    """People to tell, by role: the chair is the audit's lead; agency roles mean that agency's.
    Nobody removed from the directory is told anything new (a removed chair included)."""
    wanted = set(roles)
    people: set[int] = {lead_id} if "chair" in wanted else set()
    partnership_wide = wanted - {"chair", "strategic_lead", "agency_lead"}
    agency_roles = wanted & {"strategic_lead", "agency_lead"}
    holders = select(t.role.c.person_id).join(t.person, t.person.c.id == t.role.c.person_id)
    if partnership_wide:
        people.update(
            connection.execute(holders.where(t.role.c.role.in_(partnership_wide))).scalars()
        )
    if agency_roles and agency_id is not None:
        people.update(
            connection.execute(
                holders.where(t.role.c.role.in_(agency_roles), t.person.c.agency_id == agency_id)
            ).scalars()
        )
    return sorted(people & active_people(connection, people))


def owing_agencies(connection: Connection, audit_id: int) -> Select[tuple[int]]:
    """The ids of the agencies taking part that owe the audit a return. On a case audit only
    those its sampled cases name owe one: an agency named in no case owes nothing, so it is
    neither asked nor counted as unasked."""
    taking_part = select(t.participation.c.agency_id).where(t.participation.c.audit_id == audit_id)
    named = (
        select(t.case_agency.c.agency_id)
        .join(t.case, t.case.c.id == t.case_agency.c.case_id)
        .where(t.case.c.audit_id == audit_id)
    )
    if connection.execute(named.limit(1)).first() is None:
        return taking_part
    return taking_part.where(t.participation.c.agency_id.in_(named))


def active_people(connection: Connection, people: Iterable[int]) -> set[int]:
    """Those of ``people`` still in the directory (not removed by a coordinator)."""
    wanted = set(people)
    if not wanted:
        return set()
    return set(
        connection.execute(
            select(t.person.c.id).where(t.person.c.id.in_(wanted), t.person.c.active)
        ).scalars()
    )


def queue(
    connection: Connection,
    *,
    kind: str,
    audit_id: int | None,
    subject_id: int | None,
    recipient_ids: Iterable[int],
    at: datetime,
    context: Mapping[str, str] | None = None,
    key_prefix: str | None = None,
    link_purpose: LinkPurpose | None = None,
) -> int:
    """Queue one message per recipient; returns how many were new (keys already queued are
    skipped, which is what makes a repeated sweep or retried transaction harmless)."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    extra = set(context or {}) - CONTEXT_KEYS
    if extra:
        raise ValueError(f"message context may not carry {sorted(extra)}")
    prefix = key_prefix or f"{kind}:{audit_id}:{subject_id}"
    recipient_ids = list(recipient_ids)
    # A message asking for something by a date carries its deadline's calendar entry.
    entry = hold(
        connection,
        kind=kind,
        audit_id=audit_id,
        subject_id=subject_id,
        key_prefix=prefix,
        people=recipient_ids,
        at=at,
    )
    if entry is not None:
        context = {**(context or {}), ENTRY_KEY: str(entry)}
    rows = [
        {
            "key": f"{prefix}:{person}",
            "kind": kind,
            "audit_id": audit_id,
            "recipient_id": person,
            "subject_id": subject_id,
            "created_at": at,
            "next_attempt_at": at,
            "context": json.dumps(dict(context or {}), sort_keys=True),
            "link_purpose": link_purpose,
        }
        for person in recipient_ids
    ]
    if not rows:
        return 0
    existing = set(
        connection.execute(
            select(t.outbox.c.key).where(t.outbox.c.key.in_([r["key"] for r in rows]))
        ).scalars()
    )
    new = [r for r in rows if r["key"] not in existing]
    if new:
        connection.execute(insert(t.outbox), new)
    return len(new)


def audit_context(reference: str, theme: str, **extra: str) -> dict[str, str]:
    """What every message about an audit may say: its reference, theme and page."""
    return {"audit": reference, "theme": theme, "link_path": f"/audits/{reference}", **extra}


def agency_name(connection: Connection, agency_id: int) -> str:
    return str(
        connection.execute(select(t.agency.c.name).where(t.agency.c.id == agency_id)).scalar_one()
    )
