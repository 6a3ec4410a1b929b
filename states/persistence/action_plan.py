"""How actions' deadlines and reminders are stored, and the messages about an action.

Each action has its own deadline row, so its reminder rungs go through the same sweep, index
and unique keys as every other deadline; the deadline's ``state`` is a marker no definition
can use as a state name, which keeps state changes from closing it and tells the sweep whose
rungs they are. The statuses, who may move them and the ladder are ``states.rules.action_plan``.

Messages about an action carry the agency, the audit reference and theme and the due date:
never the recommendation, which stays on the action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import Connection, insert, select, update

from states.clock import as_utc
from states.definitions.model import AuditTypeDefinition, DeadlineDef
from states.persistence import calendar_entries, notices
from states.persistence import tables as t
from states.persistence.deadlines import insert_rungs
from states.persistence.store import AuditRow
from states.persistence.vocabulary import LinkPurpose
from states.rules.action_plan import OWED, OWNER_ROLES, REVIEWER_ROLES, action_rungs
from states.rules.calendar import WorkingCalendar, close_of_business

# Not a valid state name (a space), so no definition's state can ever be mistaken for it.
DEADLINE_STATE = "action plan"


# --- the action's deadline ------------------------------------------------------------------


def open_deadline(
    connection: Connection,
    calendar: WorkingCalendar,
    *,
    schedule: DeadlineDef,
    audit_id: int,
    number: int,
    due_on: date,
    at: datetime,
) -> int:
    """The action's deadline (close of business on ``due_on``) and its reminder rungs."""
    due = close_of_business(due_on)
    deadline_id = int(
        connection.execute(
            insert(t.deadline).returning(t.deadline.c.id),
            {
                "audit_id": audit_id,
                "state": DEADLINE_STATE,
                "name": f"action_{number}",
                # State deadlines count rounds from 1; 0 keeps an action's out of their way.
                "round": 0,
                "starts_at": at,
                "due_at": due,
            },
        ).scalar_one()
    )
    _schedule(
        connection, calendar, schedule, deadline_id=deadline_id, due=due, at=at, audit_id=audit_id
    )
    return deadline_id


def move_deadline(
    connection: Connection,
    calendar: WorkingCalendar,
    *,
    schedule: DeadlineDef,
    deadline_id: int,
    audit_id: int,
    due_on: date,
    at: datetime,
) -> None:
    """A new due date: the rungs still to come are worked out again from it."""
    due = close_of_business(due_on)
    connection.execute(update(t.deadline).where(t.deadline.c.id == deadline_id).values(due_at=due))
    entry = calendar_entries.for_deadlines([deadline_id])
    calendar_entries.move(connection, entry, due_at=due, at=at)
    _drop_rungs(connection, deadline_id, at, delete_them=True)
    _schedule(
        connection, calendar, schedule, deadline_id=deadline_id, due=due, at=at, audit_id=audit_id
    )


def mark_deadline(connection: Connection, deadline_id: int, *, met_at: datetime | None) -> None:
    """Met when the owner has done their part; unmet again when evidence is sent back."""
    connection.execute(
        update(t.deadline).where(t.deadline.c.id == deadline_id).values(met_at=met_at)
    )


def finish_deadline(connection: Connection, deadline_id: int, *, at: datetime) -> None:
    """The action is finished: its deadline is met and its rungs leave the sweep's index."""
    calendar_entries.end(connection, calendar_entries.for_deadlines([deadline_id]), at=at)
    connection.execute(
        update(t.deadline)
        .where(t.deadline.c.id == deadline_id, t.deadline.c.met_at.is_(None))
        .values(met_at=at)
    )
    _drop_rungs(connection, deadline_id, at, delete_them=False)


def _drop_rungs(
    connection: Connection, deadline_id: int, at: datetime, *, delete_them: bool
) -> None:
    pending = (t.reminder.c.deadline_id == deadline_id, t.reminder.c.processed_at.is_(None))
    if delete_them:
        connection.execute(t.reminder.delete().where(*pending))
    else:
        connection.execute(update(t.reminder).where(*pending).values(processed_at=at))


def _schedule(
    connection: Connection,
    calendar: WorkingCalendar,
    schedule: DeadlineDef,
    *,
    deadline_id: int,
    audit_id: int,
    due: datetime,
    at: datetime,
) -> None:
    rungs = action_rungs(calendar, schedule, due=due, at=at)
    insert_rungs(connection, rungs, deadline_id=deadline_id, audit_id=audit_id)


# --- the sweep's side -----------------------------------------------------------------------


class DueRung(Protocol):
    """What the sweep knows of a due rung."""

    @property
    def id(self) -> int: ...
    @property
    def step(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def roles(self) -> tuple[str, ...]: ...
    @property
    def deadline_id(self) -> int: ...
    @property
    def due_at(self) -> datetime: ...


def remind(
    connection: Connection,
    definition: AuditTypeDefinition,
    row: AuditRow,
    rung: DueRung,
    now: datetime,
) -> int:
    """Queue one due rung of an action's ladder; nothing when the owner no longer owes the
    work (evidence in, accepted, withdrawn, carried forward) or the audit has ended."""
    found = connection.execute(
        select(
            t.action.c.id, t.action.c.number, t.action.c.status, t.action.c.owner_agency_id
        ).where(t.action.c.deadline_id == rung.deadline_id)
    ).first()
    if found is None or found.status not in OWED or row.state in definition.final_states:
        return 0
    agency_id = int(found.owner_agency_id)
    about = ActionAbout(int(found.id), int(found.number), agency_id, as_utc(rung.due_at))
    owners = notices.recipients(
        connection, roles=OWNER_ROLES & set(rung.roles), lead_id=row.lead_id, agency_id=agency_id
    )
    others = notices.recipients(
        connection, roles=set(rung.roles) - OWNER_ROLES, lead_id=row.lead_id, agency_id=agency_id
    )
    prefix = f"rung:{rung.id}:{agency_id}"
    # The owner agency's leads get a link to the action itself; the chair, the audit's page.
    return tell(
        connection,
        row,
        about,
        kind=rung.kind,
        people=owners,
        at=now,
        key_prefix=prefix,
        link=True,
        step=rung.step,
    ) + tell(
        connection,
        row,
        about,
        kind=rung.kind,
        people=sorted(set(others) - set(owners)),
        at=now,
        key_prefix=prefix,
        step=rung.step,
    )


@dataclass(frozen=True)
class ActionAbout:
    """Which action a message is about, by number: never its words."""

    id: int
    number: int
    agency_id: int
    due_at: datetime


def tell(
    connection: Connection,
    row: AuditRow,
    about: ActionAbout,
    *,
    kind: str,
    people: list[int],
    at: datetime,
    key_prefix: str,
    link: bool = False,
    **extra: str,
) -> int:
    """Queue one message about an action. With ``link`` each person gets their own action
    link at sending (the relay mints it; ``subject_id`` names the action)."""
    context = notices.audit_context(
        row.reference,
        row.theme,
        agency=notices.agency_name(connection, about.agency_id),
        deadline_at=about.due_at.isoformat(),
        # The number says which action without quoting it; the page shows the words.
        state_title=f"Action plan, action {about.number}",
        **extra,
    )
    return notices.queue(
        connection,
        kind=kind,
        audit_id=row.id,
        subject_id=about.id,
        recipient_ids=people,
        at=at,
        context=context,
        key_prefix=key_prefix,
        link_purpose=LinkPurpose.ACTION if link else None,
    )


def tell_owners(
    connection: Connection, row: AuditRow, about: ActionAbout, *, kind: str, at: datetime
) -> int:
    """The owner agency's leads, each with a link to the action: when it is assigned, and
    when its evidence is sent back. Keyed by the audit's version, so each write tells once."""
    people = notices.recipients(
        connection, roles=OWNER_ROLES, lead_id=row.lead_id, agency_id=about.agency_id
    )
    prefix = f"{kind}:{about.id}:{row.version}"
    return tell(
        connection, row, about, kind=kind, people=people, at=at, key_prefix=prefix, link=True
    )


def tell_reviewers(
    connection: Connection, row: AuditRow, about: ActionAbout, *, at: datetime
) -> int:
    """Learning hub members and the coordinator: evidence is in for them to review."""
    people = notices.recipients(
        connection, roles=REVIEWER_ROLES, lead_id=row.lead_id, agency_id=None
    )
    prefix = f"action_evidence_submitted:{about.id}:{row.version}"
    return tell(
        connection,
        row,
        about,
        kind="action_evidence_submitted",
        people=people,
        at=at,
        key_prefix=prefix,
    )


def agencies_owing(connection: Connection, audit_id: int) -> list[tuple[int, str]]:
    """(agency id, name) of every agency with an action on the audit it still owes work on,
    for a state deadline owed by the action owners."""
    statement = (
        select(t.agency.c.id, t.agency.c.name)
        .join(t.action, t.action.c.owner_agency_id == t.agency.c.id)
        .where(t.action.c.audit_id == audit_id, t.action.c.status.in_(OWED))
        .group_by(t.agency.c.id, t.agency.c.name)
        .order_by(t.agency.c.name)
    )
    return [(int(i), str(name)) for i, name in connection.execute(statement)]
