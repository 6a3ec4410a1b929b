"""Reminder ladders and the sweep: only those who still owe work are reminded, each rung goes
once whatever the downtime, and a ladder across a clock change keeps to local mornings."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from states.clock import LONDON, FakeClock
from states.errors import PermissionDenied
from states.persistence import tables as t
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services import audits, queries, returns, work
from states.services.deps import Deps
from states.services.sweep import sweep
from tests.support.driver import Driver, complete_answers, drive
from tests.support.partnership import agency_name, email, seed_partnership


def outbox(deps: Deps, kind: str | None = None) -> list[tuple[str, str, dict[str, str]]]:
    """(kind, recipient e-mail, context) of every queued message, oldest first."""
    statement = (
        select(t.outbox.c.kind, t.person.c.email, t.outbox.c.context)
        .join(t.person, t.person.c.id == t.outbox.c.recipient_id)
        .order_by(t.outbox.c.id)
    )
    if kind is not None:
        statement = statement.where(t.outbox.c.kind == kind)
    with deps.uow(readonly=True) as uow:
        return [(k, e, json.loads(c)) for k, e, c in uow.connection.execute(statement)]


def rungs(deps: Deps, reference: str) -> list[tuple[str, datetime, datetime | None]]:
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.reminder.c.step, t.reminder.c.due_at, t.reminder.c.processed_at)
            .join(t.audit, t.audit.c.id == t.reminder.c.audit_id)
            .where(t.audit.c.reference == reference)
            .order_by(t.reminder.c.due_at)
        )
        return [(s, d.replace(tzinfo=UTC), p and p.replace(tzinfo=UTC)) for s, d, p in rows]


def submit_all(deps: Deps, reference: str, agency: str, lead: str) -> None:
    tool = deps.catalogue.tool("mace")
    assert tool is not None
    for n in (1, 2, 3):
        returns.submit(
            deps,
            audit=reference,
            actor=email(lead),
            agency=agency,
            case=f"{reference}-C{n:02d}",
            answers=complete_answers(tool),
        )


def test_reminders_go_only_to_agencies_still_owing(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    reference = drive(deps, "mace", to="returns_open").reference
    asked = {e for _, e, _ in outbox(deps, "return_requested")}
    assert asked == {email("lead.police"), email("lead.csc"), email("lead.health")}
    submit_all(deps, reference, "police", "lead.police")
    submit_all(deps, reference, "csc", "lead.csc")

    first = rungs(deps, reference)[0]
    assert first[0] == "before:10"
    clock.set(first[1] + timedelta(minutes=1))
    assert sweep(deps).messages == 1
    ((kind, to, context),) = outbox(deps, "reminder")
    assert (kind, to) == ("reminder", email("lead.health"))
    assert context["agency"] == agency_name("community_health") and context["step"] == "before:10"

    submit_all(deps, reference, "community_health", "lead.health")
    clock.set(rungs(deps, reference)[-1][1] + timedelta(days=1))
    assert sweep(deps).messages == 0
    assert all(processed for *_, processed in rungs(deps, reference))


def test_overdue_work_escalates_to_the_strategic_lead_and_chair(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = drive(deps, "mace", to="returns_open").reference
    submit_all(deps, reference, "police", "lead.police")
    submit_all(deps, reference, "csc", "lead.csc")
    last = rungs(deps, reference)[-1]
    assert last[0] == "overdue:5"
    clock.set(last[1])
    sweep(deps)
    escalated = {(e, c["agency"]) for _, e, c in outbox(deps, "escalation")}
    # Community health has no strategic lead in the test partnership: the chair still hears.
    assert escalated == {(email("chair"), agency_name("community_health"))}
    overdue = {e for _, e, _ in outbox(deps, "overdue")}
    assert overdue == {email("lead.health")}


def _three_audits_due_the_same_morning(deps: Deps) -> list[str]:
    return [
        drive(deps, "section_11", to="returns_open", theme=f"S11 {n}").reference for n in range(3)
    ]


def test_downtime_across_due_reminders_sends_each_once(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    references = _three_audits_due_the_same_morning(deps)
    morning = rungs(deps, references[0])[0][1]
    assert {rungs(deps, r)[0][1] for r in references} == {morning}
    clock.set(morning - timedelta(hours=3))
    assert sweep(deps).rungs == 0
    clock.set(morning + timedelta(hours=3))  # six hours with no sweep at all
    first = sweep(deps)
    assert (first.rungs, first.messages) == (3, 9)  # 3 audits x 3 agencies' leads
    assert sweep(deps).messages == 0
    sent = Counter((e, c["audit"]) for _, e, c in outbox(deps, "reminder"))
    assert set(sent.values()) == {1} and len(sent) == 9


def test_downtime_across_a_whole_ladder_sends_only_what_is_still_true(
    partnership: Deps, clock: FakeClock
) -> None:
    """A week's outage past the deadline: no "due in 10 days" reminder after the deadline;
    the latest overdue notice to the agency and the escalation to its strategic lead."""
    deps = partnership
    reference = drive(deps, "section_11", to="returns_open").reference
    ladder = rungs(deps, reference)
    assert [s for s, _, _ in ladder][:2] == ["before:10", "before:5"]
    clock.set(ladder[-1][1] + timedelta(hours=1))  # every rung due; no sweep ran meanwhile
    result = sweep(deps)
    assert result.rungs == len(ladder)
    assert outbox(deps, "reminder") == []
    steps = {(k, c["step"]) for k, _, c in outbox(deps) if "step" in c}
    # Section 11's ladder: overdue notice 2 working days after, escalation after 5.
    assert steps == {("overdue", "overdue:2"), ("escalation", "overdue:5")}
    assert sweep(deps).messages == 0


def test_sign_off_reminders_go_to_members_who_have_not_decided(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = drive(deps, "mace", to="awaiting_sign_off").reference
    asked = {e for _, e, _ in outbox(deps, "sign_off_requested")}
    members = {email("lhm"), email("lsp.council"), email("lsp.police"), email("lsp.health")}
    assert asked == members  # the chair wrote the report, so is not asked to sign it off
    work.record_sign_off_decision(deps, audit=reference, actor=email("lhm"), decision="approve")
    step, due, _ = next(r for r in rungs(deps, reference) if r[2] is None)
    clock.set(due)
    sweep(deps)
    reminded = {e for _, e, c in outbox(deps, "reminder") if c["step"] == step}
    assert reminded == members - {email("lhm")}


def test_an_extension_re_dates_the_reminders_and_is_logged(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = drive(deps, "section_11", to="returns_open").reference
    before = rungs(deps, reference)
    status = queries.audit_status(deps, audit=reference, as_person=email("coordinator"))
    old_due = status.deadlines[-1].due_at.astimezone(LONDON).date()
    with pytest.raises(PermissionDenied, match="only the coordinator may extend deadline"):
        work.extend_deadline(
            deps,
            audit=reference,
            actor=email("chair"),
            until=old_due + timedelta(days=14),
            reason="Half term",
        )
    new_due = work.extend_deadline(
        deps,
        audit=reference,
        actor=email("coordinator"),
        until=old_due + timedelta(days=14),
        reason="Half term",
    )
    after = rungs(deps, reference)
    assert [s for s, *_ in after] == [s for s, *_ in before]
    assert all(a[1] - b[1] >= timedelta(days=13) for a, b in zip(after, before, strict=True))
    assert new_due.astimezone(LONDON).date() == old_due + timedelta(days=14)
    last = queries.history(deps, audit=reference)[-1]
    assert (last.trigger, last.reason) == ("extend_deadline", "Half term")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("entered", "change"),
    [
        (datetime(2026, 3, 2, 10, tzinfo=UTC), date(2026, 3, 29)),
        (datetime(2026, 9, 28, 10, tzinfo=UTC), date(2026, 10, 25)),
    ],
)
def test_a_ladder_across_a_clock_change_sends_one_reminder_per_local_morning(
    sqlite_engine: Engine, catalogue: Catalogue, entered: datetime, change: date
) -> None:
    clock = FakeClock(entered - timedelta(days=7))
    deps = Deps(uow=UnitOfWorkFactory(sqlite_engine), catalogue=catalogue, clock=clock)
    seed_partnership(deps)
    reference = audits.start_audit(
        deps, audit_type="mace", theme="DST", lead=email("chair"), actor=email("coordinator")
    ).reference
    driver = Driver(deps, reference, started_on=clock.now().astimezone(LONDON).date())
    driver.advance("auditors_assigned")
    clock.set(entered)
    audits.fire(deps, audit=reference, trigger="open_returns", actor=email("coordinator"))
    ladder = rungs(deps, reference)
    local_days = [d.astimezone(LONDON).date() for _, d, _ in ladder]
    assert min(local_days) < change < max(local_days), "the ladder must cross the change"
    # The sweep ticks every 20 minutes in UTC, as the scheduler does, through the whole ladder.
    while clock.now() < ladder[-1][1] + timedelta(hours=1):
        clock.advance(timedelta(minutes=20))
        sweep(deps)
    sent = [(c["step"], e, c.get("agency")) for k, e, c in outbox(deps) if "step" in c]
    assert Counter(sent).most_common(1)[0][1] == 1, "no rung went twice to anyone"
    for _, due, processed in rungs(deps, reference):
        assert processed is not None
        assert due.astimezone(LONDON).hour == 9
        assert processed.astimezone(LONDON).date() == due.astimezone(LONDON).date()
    assert len(set(local_days)) == len(local_days)
