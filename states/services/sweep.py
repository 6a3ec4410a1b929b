"""The sweep: due reminder rungs become outbox messages, each exactly once.

It finds rungs by the ``(processed_at, due_at)`` index, so its cost follows what is due, not
how many deadlines are open. Each batch commits with its rungs marked processed and their
messages queued under unique keys: a sweep cut short by a crash or run twice sends nothing
twice, and a sweep after hours of downtime sends every missed rung once. Messages go only to
those who still owe the work; a rung for work already done is marked and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Label, exists, or_, select, update
from sqlalchemy.orm import aliased

from states.clock import as_utc
from states.definitions.model import AuditTypeDefinition
from states.persistence import action_plan, notices
from states.persistence import tables as t
from states.persistence.facts import SqlAuditFacts
from states.persistence.store import AuditRow, AuditStore
from states.persistence.vocabulary import LinkPurpose
from states.services.audits import tool_is_per_case
from states.services.deps import Deps
from states.services.messages import sign_off_members
from states.services.sign_off import MEMBER_ROLE

BATCH = 200
_RUNGS = (
    select(
        t.reminder.c.id,
        t.reminder.c.step,
        t.reminder.c.kind,
        t.reminder.c.roles,
        t.deadline.c.round,
        t.deadline.c.state,
        t.deadline.c.due_at,
        t.reminder.c.audit_id,
        t.reminder.c.deadline_id,
    )
    .join(t.deadline, t.deadline.c.id == t.reminder.c.deadline_id)
    .order_by(t.reminder.c.due_at, t.reminder.c.id)
)


@dataclass(frozen=True)
class SweepResult:
    rungs: int
    messages: int


@dataclass(frozen=True)
class _Rung:
    id: int
    step: str
    kind: str
    roles: tuple[str, ...]
    round: int
    state: str
    due_at: datetime
    audit_id: int
    deadline_id: int
    superseded: bool


def sweep(deps: Deps, *, batch: int = BATCH) -> SweepResult:
    rungs = messages = 0
    while True:
        done, sent = _sweep_batch(deps, batch)
        rungs += done
        messages += sent
        if done < batch:
            return SweepResult(rungs, messages)


def _sweep_batch(deps: Deps, batch: int) -> tuple[int, int]:
    now = deps.clock.now()
    with deps.uow() as uow:
        statement = (
            _RUNGS.add_columns(_superseded(now))
            .where(t.reminder.c.processed_at.is_(None), t.reminder.c.due_at <= now)
            .limit(batch)
            .with_for_update(of=t.reminder, skip_locked=True)
        )
        due = [
            _Rung(
                r.id,
                r.step,
                r.kind,
                tuple(filter(None, r.roles.split(","))),
                r.round,
                r.state,
                r.due_at,
                r.audit_id,
                r.deadline_id,
                bool(r.superseded),
            )
            for r in uow.connection.execute(statement)
        ]
        sent = 0
        for rung in due:
            count = 0 if rung.superseded else _send(deps, uow.connection, rung, now)
            uow.connection.execute(
                update(t.reminder)
                .where(t.reminder.c.id == rung.id)
                .values(processed_at=now, sent_count=count)
            )
            sent += count
        uow.commit()
    return len(due), sent


def _superseded(now: datetime) -> Label[bool]:
    """After downtime several rungs of one deadline fall due together; only the latest of
    each kind is sent, and no "due in N days" reminder goes out once a later rung is due
    (it would tell someone a passed deadline is still ahead). Overdue notices and
    escalations go to different people, so each kind keeps its own latest rung. Asked in
    the query that finds the due rungs, so it costs no round trip per rung."""
    rung, later = t.reminder, aliased(t.reminder)
    return (
        exists()
        .where(
            later.c.deadline_id == rung.c.deadline_id,
            later.c.due_at > rung.c.due_at,
            later.c.due_at <= now,
            or_(rung.c.kind == "reminder", later.c.kind == rung.c.kind),
        )
        .label("superseded")
    )


def _send(deps: Deps, connection: Connection, rung: _Rung, now: datetime) -> int:
    store = AuditStore(connection)
    row = store.load_audit(rung.audit_id)
    compiled = deps.catalogue.by_hash(row.definition_hash, store.read_snapshot)
    definition = compiled.definition
    if rung.state == action_plan.DEADLINE_STATE:
        return action_plan.remind(connection, definition, row, rung, now)
    spec = definition.state(rung.state).deadline
    if spec is None:
        return 0
    dispatch = _Dispatch(
        deps,
        connection,
        row,
        rung,
        now,
        {
            "deadline_at": as_utc(rung.due_at).isoformat(),
            "step": rung.step,
            "state_title": definition.state(rung.state).title,
        },
    )
    if spec.owed_by == "participants":
        return dispatch.to_agencies(returns=compiled.stages.collects_returns(rung.state))
    if spec.owed_by == "sign_off_members":
        return dispatch.to_members(definition)
    if spec.owed_by == "chair":
        return dispatch.queue(dispatch.people(rung.roles), unit=0)
    return dispatch.to_action_owners()


def _member_roles(definition: AuditTypeDefinition) -> set[str]:
    """The roles a ladder names to remind those who decide sign-off: ``sign_off_member``
    (the bodies' members), or the roles an older rule names."""
    rule = definition.sign_off
    if rule is None:
        return set()
    return {MEMBER_ROLE} if rule.bodies is not None else set(rule.roles or ())


@dataclass(frozen=True)
class _Dispatch:
    """One due rung being turned into messages for whoever still owes the work."""

    deps: Deps
    connection: Connection
    row: AuditRow
    rung: _Rung
    now: datetime
    context: dict[str, Any]

    def people(self, roles: Iterable[str], agency_id: int | None = None) -> list[int]:
        return notices.recipients(
            self.connection, roles=roles, lead_id=self.row.lead_id, agency_id=agency_id
        )

    def to_agencies(self, *, returns: bool) -> int:
        """Agencies still owing work; their leads' link is to their return where returns are
        collected (elsewhere, an agency's response as the report, no link takes it)."""
        store = AuditStore(self.connection)
        facts = SqlAuditFacts(
            self.connection,
            self.row.id,
            round_=self.rung.round,
            per_case=tool_is_per_case(self.deps, store, self.row),
        )
        leads = [r for r in self.rung.roles if r == "agency_lead"]
        others = [r for r in self.rung.roles if r != "agency_lead"]
        sent = 0
        for agency_id, name, _ in facts.outstanding_agencies():
            # Agency leads get a link to their return; others a link to the audit.
            link = LinkPurpose.RETURN if returns else None
            sent += self.queue(
                self.people(leads, agency_id), unit=agency_id, link=link, agency=name
            )
            sent += self.queue(self.people(others, agency_id), unit=agency_id, agency=name)
        return sent

    def to_members(self, definition: AuditTypeDefinition) -> int:
        undecided = sign_off_members(self.connection, definition, self.row, self.rung.round)
        if not undecided:
            return 0
        member_roles = _member_roles(definition)
        members = undecided if member_roles & set(self.rung.roles) else []
        others = set(self.people(r for r in self.rung.roles if r not in member_roles))
        return self.queue(members, unit=0, link=LinkPurpose.SIGN_OFF) + self.queue(
            sorted(others - set(members)), unit=0
        )

    def to_action_owners(self) -> int:
        """Agencies with actions on the audit still to progress or evidence."""
        sent = 0
        for agency_id, name in action_plan.agencies_owing(self.connection, self.row.id):
            sent += self.queue(self.people(self.rung.roles, agency_id), unit=agency_id, agency=name)
        return sent

    def queue(
        self, people: list[int], *, unit: int, link: LinkPurpose | None = None, **extra: str
    ) -> int:
        context = notices.audit_context(self.row.reference, self.row.theme, **self.context, **extra)
        return notices.queue(
            self.connection,
            kind=self.rung.kind,
            audit_id=self.row.id,
            subject_id=self.rung.id,
            recipient_ids=people,
            at=self.now,
            context=context,
            key_prefix=f"rung:{self.rung.id}:{unit}",
            link_purpose=link,
        )
