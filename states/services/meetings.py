"""The multi-agency audit discussion: scheduling, moving and cancelling the meeting, and
recording who attended.

Each command is one write to the audit (``write_to_audit``: locked, checked, versioned, one
event in its history) with its e-mails queued in the same transaction. Invitations, updates
and cancellations each carry the calendar entry (``notifications.meeting_calendar`` builds it
at sending), under the meeting's one UID; every change raises its SEQUENCE, so calendars move
or remove the entry they hold. A cancellation's reason is kept in the history only, never in
an e-mail. The chair and the coordinators arrange it (``Permission.ARRANGE_MEETING``).

An audit may hold several meetings over time, but only one is scheduled at a time; it is
held once its start has passed and who attended is recorded (gate ``discussion_held``).
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import Connection, insert, update

from states.clock import LONDON
from states.errors import InvalidInput
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import Actor, AuditRow
from states.persistence.uow import UnitOfWork
from states.rules.meetings import (
    MeetingStatus,
    When,
    check_when,
    check_where,
    clean_link,
    clean_place,
    london_times,
)
from states.rules.policy import Permission
from states.services.deps import Deps
from states.services.meeting_mail import (
    Telling,
    Where,
    add_to_list,
    on_list,
    present,
    take_off_list,
)
from states.services.meeting_people import StoredMeeting, chosen, latest, offered
from states.services.work import write_to_audit

REASON_LENGTH = 500


@dataclass(frozen=True)
class Plan:
    """A meeting as the chair gives it: a London date and times, where, and who."""

    day: date
    start: time
    end: time
    place: str | None = None
    online_link: str | None = None
    attendees: tuple[PersonKey, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Arranged:
    """What a command did: the meeting, its SEQUENCE now, and how many were told what."""

    meeting_id: int
    sequence: int
    invited: int = 0
    updated: int = 0
    cancelled: int = 0


@dataclass(frozen=True)
class _Checked:
    where: Where
    people: set[int]


def schedule(deps: Deps, *, audit: AuditKey, actor: PersonKey, plan: Plan) -> Arranged:
    """Schedule the audit's discussion and invite those chosen; refused while one is
    already scheduled (move or cancel that one)."""

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> Arranged:
        c = uow.connection
        current = latest(c, row.id)
        if current is not None and current.status is MeetingStatus.SCHEDULED:
            raise InvalidInput(
                f"Audit {row.reference} already has a discussion scheduled: move or cancel it."
            )
        checked = _checked(c, row, plan, now)
        meeting_id = _insert(c, row, who, now, checked)
        add_to_list(c, meeting_id, checked.people, now)
        telling = Telling(c, row, meeting_id, 0, now)
        sent = telling.tell("meeting_invitation", checked.people, checked.where)
        return Arranged(meeting_id, 0, invited=sent)

    reason = f"Audit discussion scheduled for {_said(plan)}"
    return write_to_audit(
        deps,
        audit,
        actor,
        "schedule_meeting",
        may=Permission.ARRANGE_MEETING,
        work=work,
        reason=reason,
    )


def move(deps: Deps, *, audit: AuditKey, actor: PersonKey, plan: Plan) -> Arranged:
    """Change the scheduled meeting's time, place, link or attendees: those still invited are
    sent the change (when it is one of time or place), those added the invitation, those
    taken off a cancellation; the SEQUENCE rises once."""

    def work(uow: UnitOfWork, row: AuditRow, _who: Actor, now: datetime) -> Arranged:
        c = uow.connection
        current = _scheduled(c, row)
        checked = _checked(c, row, plan, now)
        before = on_list(c, current.id)
        added, removed = checked.people - before, before - checked.people
        moved = checked.where != _as_is(current)
        if not (moved or added or removed):
            raise InvalidInput(
                "Nothing would change: give a new date, time, place, online link or attendees."
            )
        sequence = current.sequence + 1
        c.execute(
            update(t.meeting)
            .where(t.meeting.c.id == current.id)
            .values(
                sequence=sequence,
                starts_at=checked.where.when.starts_at,
                ends_at=checked.where.when.ends_at,
                place=checked.where.place,
                online_link=checked.where.link,
            )
        )
        add_to_list(c, current.id, added, now)
        take_off_list(c, current.id, removed, now)
        staying = checked.people - added if moved else set()
        telling = Telling(c, row, current.id, sequence, now)
        return Arranged(
            current.id,
            sequence,
            invited=telling.tell("meeting_invitation", added, checked.where),
            updated=telling.tell("meeting_updated", staying, checked.where),
            cancelled=telling.tell("meeting_cancelled", removed, _as_is(current)),
        )

    reason = f"Audit discussion moved to {_said(plan)}"
    return write_to_audit(
        deps,
        audit,
        actor,
        "move_meeting",
        may=Permission.ARRANGE_MEETING,
        work=work,
        reason=reason,
    )


def cancel(deps: Deps, *, audit: AuditKey, actor: PersonKey, reason: str) -> Arranged:
    """Cancel the scheduled meeting; everyone invited is sent the cancellation. The reason
    is kept in the audit's history and never e-mailed."""
    why = " ".join(reason.split())
    if not why or len(why) > REASON_LENGTH:
        raise InvalidInput(
            f"Give the reason for cancelling, in at most {REASON_LENGTH} characters: it is "
            "kept in the audit's history and never e-mailed."
        )

    def work(uow: UnitOfWork, row: AuditRow, _who: Actor, now: datetime) -> Arranged:
        c = uow.connection
        current = _scheduled(c, row)
        sequence = current.sequence + 1
        c.execute(
            update(t.meeting)
            .where(t.meeting.c.id == current.id)
            .values(sequence=sequence, status=MeetingStatus.CANCELLED)
        )
        people = on_list(c, current.id)
        sent = Telling(c, row, current.id, sequence, now).tell(
            "meeting_cancelled", people, _as_is(current)
        )
        return Arranged(current.id, sequence, cancelled=sent)

    return write_to_audit(
        deps,
        audit,
        actor,
        "cancel_meeting",
        may=Permission.ARRANGE_MEETING,
        work=work,
        reason=f"Audit discussion cancelled: {why}",
    )


def record_attendance(
    deps: Deps, *, audit: AuditKey, actor: PersonKey, attended: Collection[PersonKey]
) -> Arranged:
    """Record, once the meeting has started, which of those invited attended (everyone else
    did not); the meeting is then held. A held meeting's record may be corrected."""

    def work(uow: UnitOfWork, row: AuditRow, who: Actor, now: datetime) -> Arranged:
        c = uow.connection
        current = latest(c, row.id)
        if current is None or current.status is MeetingStatus.CANCELLED:
            raise InvalidInput(
                f"Audit {row.reference} has no discussion to record: schedule it first."
            )
        if now < current.starts_at:
            start = current.starts_at.astimezone(LONDON)
            raise InvalidInput(
                f"The discussion has not started yet: record who attended once it has begun, "
                f"at {start:%H:%M} on {start:%d %B %Y}."
            )
        came = present(c, current.id, attended, row.reference)
        for person in on_list(c, current.id):
            c.execute(
                update(t.meeting_attendee)
                .where(
                    t.meeting_attendee.c.meeting_id == current.id,
                    t.meeting_attendee.c.person_id == person,
                )
                .values(attended=person in came, recorded_by=who.id, recorded_at=now)
            )
        c.execute(
            update(t.meeting).where(t.meeting.c.id == current.id).values(status=MeetingStatus.HELD)
        )
        return Arranged(current.id, current.sequence)

    return write_to_audit(
        deps,
        audit,
        actor,
        "record_meeting_attendance",
        may=Permission.ARRANGE_MEETING,
        work=work,
        reason=f"Audit discussion held: {len(set(attended))} attended",
    )


def _checked(c: Connection, row: AuditRow, plan: Plan, now: datetime) -> _Checked:
    when = london_times(plan.day, plan.start, plan.end)
    check_when(when, now)
    place, link = clean_place(plan.place), clean_link(plan.online_link)
    check_where(place, link)
    people = chosen(offered(c, row), plan.attendees, row.reference)
    return _Checked(Where(when, place, link), people)


def _as_is(meeting: StoredMeeting) -> Where:
    return Where(When(meeting.starts_at, meeting.ends_at), meeting.place, meeting.online_link)


def _scheduled(c: Connection, row: AuditRow) -> StoredMeeting:
    current = latest(c, row.id)
    if current is None or current.status is not MeetingStatus.SCHEDULED:
        raise InvalidInput(
            f"Audit {row.reference} has no discussion scheduled: schedule one first."
        )
    return current


def _insert(c: Connection, row: AuditRow, who: Actor, now: datetime, checked: _Checked) -> int:
    values = {
        "audit_id": row.id,
        # The calendar entry's UID, made once: every later change names the same entry.
        "uid_token": secrets.token_hex(16),
        "sequence": 0,
        "status": MeetingStatus.SCHEDULED,
        "starts_at": checked.where.when.starts_at,
        "ends_at": checked.where.when.ends_at,
        "place": checked.where.place,
        "online_link": checked.where.link,
        "scheduled_by": who.id,
        "scheduled_at": now,
    }
    made = c.execute(insert(t.meeting).values(**values).returning(t.meeting.c.id))
    return int(made.scalar_one())


def _said(plan: Plan) -> str:
    """The plan in the history's words: date and London times, never the place."""
    return f"{plan.day:%d %B %Y}, {plan.start:%H:%M} to {plan.end:%H:%M} (London time)"
