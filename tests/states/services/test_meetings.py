"""The audit discussion meeting through its service, on both stores: scheduling invites,
moving raises the SEQUENCE and tells each person what changed for them, cancelling keeps its
reason out of every e-mail, attendance waits for the start, only the chair and coordinators
arrange it, and a type declaring ``discussion_held`` waits for it before moderation."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from states.clock import FakeClock
from states.errors import GateBlocked, InvalidInput, PermissionDenied
from states.persistence import tables as t
from states.rules.tasks import Part, TaskStatus
from states.services import audits, meetings, queries, tasks
from states.services.deps import Deps
from tests.support.meetings import at_moderation, gated_deps, plan
from tests.support.partnership import email

# The fake clock starts on Monday 2 March 2026; the driven audit reaches moderation the same
# day, so a meeting a week later is still to come.
NEXT_WEEK = date(2026, 3, 9)


@pytest.fixture
def gated(partnership: Deps, tmp_path: Path) -> Deps:
    return gated_deps(partnership, tmp_path / "definitions")


def _sent(deps: Deps) -> list[tuple[str, str, int, dict[str, str]]]:
    """(kind, recipient, sequence in the key, context) of every meeting message queued."""
    o = t.outbox
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(o.c.kind, t.person.c.email, o.c.key, o.c.context)
            .join(t.person, t.person.c.id == o.c.recipient_id)
            .where(o.c.kind.like("meeting_%"))
            .order_by(o.c.id)
        ).all()
    return [(k, e, int(key.split(":")[2]), json.loads(c)) for k, e, key, c in rows]


def _meeting(deps: Deps) -> tuple[str, int, str]:
    with deps.uow(readonly=True) as uow:
        row = uow.connection.execute(
            select(t.meeting.c.status, t.meeting.c.sequence, t.meeting.c.uid_token)
        ).one()
    return row.status, row.sequence, row.uid_token


def test_scheduling_invites_each_attendee_once_with_when_and_where(gated: Deps) -> None:
    reference = at_moderation(gated).reference
    done = meetings.schedule(gated, audit=reference, actor=email("chair"), plan=plan(NEXT_WEEK))
    assert (done.sequence, done.invited) == (0, 3)
    sent = _sent(gated)
    assert sorted(e for _, e, _, _ in sent) == sorted(
        email(w) for w in ("chair", "lead.police", "auditor.one")
    )
    kind, _, sequence, context = sent[0]
    assert (kind, sequence) == ("meeting_invitation", 0)
    # 10:00 in London on 9 March 2026 is 10:00 UTC (GMT); the place is one line.
    assert context["starts_at"] == "2026-03-09T10:00:00+00:00"
    assert context["place"] == "Room 4, Civic Centre"
    assert _meeting(gated)[:2] == ("scheduled", 0)
    with pytest.raises(InvalidInput, match="already has a discussion scheduled"):
        meetings.schedule(gated, audit=reference, actor=email("chair"), plan=plan(NEXT_WEEK))
    history = queries.history(gated, audit=reference)
    assert history[-1].trigger == "schedule_meeting"
    assert "09 March 2026, 10:00 to 12:00" in (history[-1].reason or "")


def test_moving_raises_the_sequence_and_tells_each_what_changed_for_them(gated: Deps) -> None:
    reference = at_moderation(gated).reference
    meetings.schedule(gated, audit=reference, actor=email("chair"), plan=plan(NEXT_WEEK))
    uid = _meeting(gated)[2]
    moved = meetings.move(
        gated,
        audit=reference,
        actor=email("coordinator"),
        plan=plan(
            NEXT_WEEK + timedelta(days=1),
            "14:00",
            "15:30",
            place=None,
            link="https://meet.example.org/aud",
            who=("chair", "lead.police", "lead.csc"),
        ),
    )
    assert (moved.sequence, moved.invited, moved.updated, moved.cancelled) == (1, 1, 2, 1)
    later = [(k, e, s) for k, e, s, _ in _sent(gated)[3:]]
    assert sorted(later) == sorted(
        [
            ("meeting_invitation", email("lead.csc"), 1),
            ("meeting_updated", email("chair"), 1),
            ("meeting_updated", email("lead.police"), 1),
            ("meeting_cancelled", email("auditor.one"), 1),
        ]
    )
    assert _meeting(gated) == ("scheduled", 1, uid)
    with pytest.raises(InvalidInput, match="Nothing would change"):
        meetings.move(
            gated,
            audit=reference,
            actor=email("chair"),
            plan=plan(
                NEXT_WEEK + timedelta(days=1),
                "14:00",
                "15:30",
                place=None,
                link="https://meet.example.org/aud",
                who=("chair", "lead.police", "lead.csc"),
            ),
        )


def test_cancelling_tells_everyone_invited_and_keeps_the_reason_out_of_the_mail(
    gated: Deps,
) -> None:
    reference = at_moderation(gated).reference
    meetings.schedule(gated, audit=reference, actor=email("chair"), plan=plan(NEXT_WEEK))
    with pytest.raises(InvalidInput, match="reason for cancelling"):
        meetings.cancel(gated, audit=reference, actor=email("chair"), reason="  ")
    why = "Chair unwell; Sentinel Zqxreason"
    done = meetings.cancel(gated, audit=reference, actor=email("chair"), reason=why)
    assert (done.sequence, done.cancelled) == (1, 3)
    assert _meeting(gated)[:2] == ("cancelled", 1)
    assert all("Zqxreason" not in json.dumps(c) for _, _, _, c in _sent(gated))
    assert "Zqxreason" in (queries.history(gated, audit=reference)[-1].reason or "")
    # Another may be scheduled once the first is cancelled.
    again = meetings.schedule(gated, audit=reference, actor=email("chair"), plan=plan(NEXT_WEEK))
    assert again.meeting_id != done.meeting_id


def test_attendance_waits_for_the_start_and_only_those_invited_count(
    gated: Deps, clock: FakeClock
) -> None:
    reference = at_moderation(gated).reference
    meetings.schedule(gated, audit=reference, actor=email("chair"), plan=plan(NEXT_WEEK))
    with pytest.raises(InvalidInput, match="has not started yet"):
        meetings.record_attendance(
            gated, audit=reference, actor=email("chair"), attended=[email("chair")]
        )
    clock.advance(timedelta(days=7, minutes=31))  # 10:01 on the day
    with pytest.raises(InvalidInput, match="was not invited"):
        meetings.record_attendance(
            gated, audit=reference, actor=email("chair"), attended=[email("lead.csc")]
        )
    meetings.record_attendance(
        gated,
        audit=reference,
        actor=email("coordinator"),
        attended=[email("chair"), email("lead.police")],
    )
    with gated.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.person.c.email, t.meeting_attendee.c.attended).join(
                t.person, t.person.c.id == t.meeting_attendee.c.person_id
            )
        ).all()
    assert dict(rows) == {
        email("chair"): True,
        email("lead.police"): True,
        email("auditor.one"): False,
    }
    assert _meeting(gated)[0] == "held"


def test_only_the_chair_and_coordinators_arrange_it_and_only_the_audits_people_come(
    gated: Deps,
) -> None:
    reference = at_moderation(gated).reference
    for person in ("auditor.one", "lead.police", "lhm"):
        with pytest.raises(PermissionDenied, match="chair or coordinator"):
            meetings.schedule(gated, audit=reference, actor=email(person), plan=plan(NEXT_WEEK))
    with pytest.raises(InvalidInput, match="cannot be invited"):
        meetings.schedule(
            gated, audit=reference, actor=email("chair"), plan=plan(NEXT_WEEK, who=("lhm",))
        )
    for wrong, said in [
        (plan(NEXT_WEEK, "12:00", "11:00"), "end time after the start"),
        (plan(date(2026, 3, 1)), "still to come"),
        (plan(NEXT_WEEK, place=None), "place, an online link, or both"),
        (plan(NEXT_WEEK, link="http://meet.example.org/x"), "https://"),
        (plan(NEXT_WEEK, place="x" * 121), "at most 120"),
    ]:
        with pytest.raises(InvalidInput, match=said):
            meetings.schedule(gated, audit=reference, actor=email("chair"), plan=wrong)
    assert _sent(gated) == []


def test_moderation_waits_for_the_discussion_where_the_type_declares_it(
    gated: Deps, clock: FakeClock
) -> None:
    driver = at_moderation(gated)
    driver.moderate_findings()
    chair = email("chair")

    def agree() -> None:
        audits.fire(gated, audit=driver.reference, trigger="complete_moderation", actor=chair)

    with pytest.raises(GateBlocked, match="discussion_held: the audit discussion has not been"):
        agree()
    meetings.schedule(gated, audit=driver.reference, actor=chair, plan=plan(NEXT_WEEK))
    with pytest.raises(GateBlocked, match="still scheduled"):
        agree()
    clock.advance(timedelta(days=7, hours=1))
    meetings.record_attendance(gated, audit=driver.reference, actor=chair, attended=[chair])
    agree()
    assert driver.state() == "report_drafting"


def test_the_shipped_mace_does_not_wait_for_a_meeting(partnership: Deps) -> None:
    """Where a type does not declare the gate, moderation is agreed as before."""
    driver = at_moderation(partnership)
    driver.fire("complete_moderation")
    assert driver.state() == "report_drafting"


def test_the_task_list_offers_the_discussion_where_the_type_declares_it(gated: Deps) -> None:
    reference = at_moderation(gated).reference
    found = {task.part: task.status for task in tasks.tasks_of(gated, audit=reference)}
    assert found[Part.MEETING] is TaskStatus.NOT_STARTED
