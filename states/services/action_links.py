"""The action link: an owner agency's lead records that an action is under way and sends the
evidence of its impact, from the e-mail that asked for it.

An action outlives the stage its audit was at when the action was agreed, so its link is bound
to the action, not to the stage: it works while the agency still owes the action (open or in
progress) and the audit is open. Marking the action under way leaves the link usable (the
evidence is still to come); sending the evidence uses it up, in the same transaction, under
the audit's row lock, so two clicks or two colleagues' links record it once, and withdraws
the colleagues' links: evidence sent back comes with new links, and the old ones stay dead.
Each new link to an action also withdraws its holder's older ones, so only the most recent
e-mail's link works.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from states.errors import TokenInvalid, TokenRevoked
from states.persistence import tables as t
from states.persistence import tokens
from states.persistence.store import Actor, AuditRow, AuditStore
from states.persistence.vocabulary import LinkPurpose
from states.rules.action_plan import OWED, OWNER_ROLES
from states.rules.calendar import close_of_business
from states.services import actions
from states.services.actions import WORDS, Writing
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.link_rules import check_holder, recording_refusals, working_days_after

SUPERSEDED = "a newer link to this action has been sent to you; use the most recent e-mail"


@dataclass(frozen=True)
class ActionLinkPage:
    """What the owner agency's lead sees: their own agency's action and nothing else of the
    audit. The recommendation and a reviewer's reason are addressed to this agency."""

    audit: str
    theme: str
    audit_title: str
    person: str
    agency: str
    expires_at: datetime
    number: int
    recommendation: str
    due_on: date
    status: str
    review_note: str | None
    carried_from: str | None


def open_action_link(deps: Deps, token: str) -> ActionLinkPage:
    """The page behind an action link; reading it changes nothing."""
    with recording_refusals(deps, token), deps.uow(readonly=True) as uow:
        grant, row = _checked(deps, uow.connection, token)
        store = AuditStore(uow.connection)
        action = _action(uow.connection, grant)
        return ActionLinkPage(
            audit=row.reference,
            theme=row.theme,
            audit_title=compiled_for(deps, store, row).definition.title,
            person=store.load_actor(grant.person_id).name,
            agency=str(action.agency),
            expires_at=grant.expires_at,
            number=int(action.number),
            recommendation=str(action.recommendation),
            due_on=action.due_on,
            status=str(action.status),
            review_note=action.review_note,
            carried_from=_carried_from(uow.connection, action.carried_from_action_id),
        )
    raise AssertionError("unreachable: recording_refusals re-raises every refusal")


def start_by_link(deps: Deps, token: str) -> None:
    """The agency has started on the action; the link stays usable for the evidence."""
    _act(deps, token, "in_progress", evidence=None, use_up=False)


def submit_evidence_by_link(deps: Deps, token: str, *, evidence: str) -> None:
    """The evidence of impact, for the learning hub to review; the link is used up."""
    _act(deps, token, "evidence_submitted", evidence=evidence, use_up=True)


def _act(deps: Deps, token: str, status: str, *, evidence: str | None, use_up: bool) -> None:
    with recording_refusals(deps, token):
        with deps.uow(readonly=True) as uow:
            grant, row = _checked(deps, uow.connection, token)
            number = int(_action(uow.connection, grant).number)
        move = actions.status_work(number, status, evidence=evidence)

        def work(w: Writing) -> tuple[None, str, str]:
            # Checked again under the audit's lock: a second click waits here, then finds the
            # link used, or the action already moved on, and nothing is written twice.
            locked = tokens.find(w.connection, token)
            _still_owed(deps, w.connection, locked, w.row, now=w.now)
            if use_up:
                tokens.consume(w.connection, locked, at=w.now)
            return move(w)

        actions.write_actions(deps, row.id, grant.person_id, work)


def action_expiry(
    deps: Deps,
    connection: Connection,
    row: AuditRow,
    person: Actor,
    action_id: int | None,
    *,
    now: datetime,
) -> datetime | None:
    """Some working days after the later of now and the action's due date: reminders go on
    after the due date, and each one brings a fresh link."""
    found = connection.execute(
        select(t.action.c.owner_agency_id, t.action.c.status, t.action.c.due_on).where(
            t.action.c.id == action_id, t.action.c.audit_id == row.id
        )
    ).first()
    definition = compiled_for(deps, AuditStore(connection), row).definition
    if (
        found is None
        or found.status not in OWED
        or row.state in definition.final_states
        or person.agency_id != found.owner_agency_id
        or not person.roles & OWNER_ROLES
    ):
        return None
    start = max(now, close_of_business(found.due_on))
    return working_days_after(deps, start, definition.link_expiry_working_days)


def _checked(deps: Deps, connection: Connection, token: str) -> tuple[tokens.Grant, AuditRow]:
    grant = tokens.find(connection, token)
    if grant.purpose != LinkPurpose.ACTION or grant.action_id is None:
        raise TokenInvalid()
    row = AuditStore(connection).load_audit(grant.audit_id)
    _still_owed(deps, connection, grant, row, now=deps.clock.now())
    return grant, row


def _still_owed(
    deps: Deps, connection: Connection, grant: tokens.Grant, row: AuditRow, *, now: datetime
) -> None:
    tokens.check(grant, row, purpose=LinkPurpose.ACTION, now=now)
    check_holder(deps, connection, grant, row)
    definition = compiled_for(deps, AuditStore(connection), row).definition
    if row.state in definition.final_states:
        raise TokenRevoked(f"audit {row.reference} has ended")
    action = _action(connection, grant)
    if action.status not in OWED:
        raise TokenRevoked(f"action {action.number} is {WORDS[action.status]}")


def _action(connection: Connection, grant: tokens.Grant) -> Any:  # one row of the select
    found = connection.execute(
        select(
            t.action.c.number,
            t.action.c.recommendation,
            t.action.c.due_on,
            t.action.c.status,
            t.action.c.review_note,
            t.action.c.carried_from_action_id,
            t.agency.c.name.label("agency"),
        )
        .join(t.agency, t.agency.c.id == t.action.c.owner_agency_id)
        .where(t.action.c.id == grant.action_id, t.action.c.audit_id == grant.audit_id)
    ).first()
    if found is None:
        raise TokenInvalid()
    return found


def _carried_from(connection: Connection, action_id: int | None) -> str | None:
    if action_id is None:
        return None
    found = connection.execute(
        select(t.audit.c.reference, t.action.c.number)
        .join(t.audit, t.audit.c.id == t.action.c.audit_id)
        .where(t.action.c.id == action_id)
    ).first()
    return None if found is None else f"{found.reference} action {found.number}"
