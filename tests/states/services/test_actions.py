"""Action plans: who may add, see and move actions; the audit stays in impact monitoring
until every action is finished; owners are reminded and overdue actions escalated by the
sweep; unfinished actions are carried into the next cycle of the theme, linked to the
original; and the recommendation's words never reach a message or the history."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from notifications.render import render_message
from states.clock import LONDON, FakeClock, as_utc
from states.errors import GateBlocked, InvalidInput, NotFound, PermissionDenied
from states.persistence import tables as t
from states.rules.catalogue import Catalogue
from states.services import audits, queries
from states.services import partnership as people
from states.services.actions import (
    accept_evidence,
    add_action,
    change_due_date,
    list_actions,
    refuse_evidence,
    set_status,
)
from states.services.carry_forward import carry_forward
from states.services.deps import Deps
from states.services.sweep import sweep
from tests.conftest import DEFINITIONS
from tests.support.driver import drive
from tests.support.partnership import agency_name, email, person_name

POLICE = agency_name("police")
CSC = agency_name("csc")
# Planted in every free text an action carries: none of it may reach a message or an event.
WORDS = "Qzxplanted recommendation text"


def _today(deps: Deps) -> date:
    return deps.clock.now().astimezone(LONDON).date()


def _signed_off(deps: Deps, theme: str = "Domestic abuse", goal: str = "actions_agreed") -> str:
    return drive(deps, "mace", to=goal, theme=theme).reference


def _add(deps: Deps, audit: str, owner: str = "police", days: int = 30, who: str = "chair") -> int:
    return add_action(
        deps,
        audit=audit,
        actor=email(who),
        recommendation=f"{WORDS}: {owner} reviews its referral pathway",
        owner=owner,
        due_on=_today(deps) + timedelta(days=days),
    )


def _evidence(deps: Deps, audit: str, number: int, lead: str = "lead.police") -> None:
    set_status(
        deps,
        audit=audit,
        actor=email(lead),
        number=number,
        status="evidence_submitted",
        evidence=f"{WORDS}: audit of 20 referrals shows the new pathway in use",
    )


def _statuses(deps: Deps, audit: str) -> dict[int, str]:
    return {
        v.number: v.status for v in list_actions(deps, audit=audit, as_person=email("coordinator"))
    }


def _outbox(deps: Deps) -> list[tuple[str, str, dict[str, str]]]:
    statement = (
        select(t.outbox.c.kind, t.person.c.email, t.outbox.c.context)
        .join(t.person, t.person.c.id == t.outbox.c.recipient_id)
        .order_by(t.outbox.c.id)
    )
    with deps.uow(readonly=True) as uow:
        return [(k, e, json.loads(c)) for k, e, c in uow.connection.execute(statement)]


def _rungs(deps: Deps, audit: str) -> list[tuple[str, str, datetime]]:
    """(step, kind, due) of the action rungs still to come on ``audit``."""
    statement = (
        select(t.reminder.c.step, t.reminder.c.kind, t.reminder.c.due_at)
        .join(t.deadline, t.deadline.c.id == t.reminder.c.deadline_id)
        .join(t.audit, t.audit.c.id == t.reminder.c.audit_id)
        .where(
            t.audit.c.reference == audit,
            t.deadline.c.state == "action plan",
            t.reminder.c.processed_at.is_(None),
        )
        .order_by(t.reminder.c.due_at)
    )
    with deps.uow(readonly=True) as uow:
        return [(s, k, as_utc(d)) for s, k, d in uow.connection.execute(statement)]


def test_actions_are_added_by_the_chair_or_coordinator_after_sign_off(partnership: Deps) -> None:
    deps = partnership
    early = _signed_off(deps, goal="awaiting_sign_off")
    with pytest.raises(InvalidInput, match="add actions once its report has been signed off"):
        _add(deps, early)
    audit = _signed_off(deps)
    version = queries.audit_status(deps, audit=audit, as_person=email("chair")).version
    assert _add(deps, audit) == 1
    assert _add(deps, audit, owner="csc", who="coordinator") == 2
    with pytest.raises(PermissionDenied, match="only the chair or coordinator may add actions"):
        _add(deps, audit, who="lead.police")
    with pytest.raises(NotFound, match="No agency 'nowhere'"):
        _add(deps, audit, owner="nowhere")
    with pytest.raises(InvalidInput, match="due date must be today or later"):
        _add(deps, audit, days=-1)
    with pytest.raises(InvalidInput, match="recommendation in 1 to 4,000 characters"):
        add_action(
            deps,
            audit=audit,
            actor=email("chair"),
            recommendation="  ",
            owner="police",
            due_on=_today(deps),
        )
    status = queries.audit_status(deps, audit=audit, as_person=email("chair"))
    assert status.version == version + 2
    added = [e for e in queries.history(deps, audit=audit) if e.trigger == "add_action"]
    due = _today(deps) + timedelta(days=30)
    assert [e.reason for e in added] == [
        f"Action 1 added for {POLICE}, due {due}",
        f"Action 2 added for {CSC}, due {due}",
    ]
    # Each action has its own deadline, shown with the audit's.
    assert {d.name for d in status.deadlines if d.state == "action plan"} == {
        "action_1",
        "action_2",
    }


def test_an_agency_sees_only_its_own_actions(partnership: Deps) -> None:
    deps = partnership
    audit = _signed_off(deps)
    _add(deps, audit, owner="police")
    _add(deps, audit, owner="csc")

    def seen(who: str) -> list[tuple[int, str]]:
        return [(v.number, v.owner) for v in list_actions(deps, audit=audit, as_person=email(who))]

    everything = [(1, "police"), (2, "csc")]
    assert seen("coordinator") == everything
    assert seen("chair") == everything
    assert seen("lhm") == everything
    assert seen("lsp.health") == everything  # a statutory partner signs the plan off
    assert seen("lead.police") == [(1, "police")]
    assert seen("lead.csc") == [(2, "csc")]
    assert seen("lead.health") == []
    assert seen("lead.schools") == []
    assert seen("system") == []
    mine = list_actions(deps, audit=audit, as_person=email("lead.police"))[0]
    assert mine.recommendation.endswith("police reviews its referral pathway")
    assert mine.owner_name == POLICE and mine.status == "open"


def test_who_may_move_an_action_and_where(partnership: Deps) -> None:
    deps = partnership
    audit = _signed_off(deps)
    n = _add(deps, audit)

    def move(who: str, status: str, **extra: str) -> None:
        set_status(deps, audit=audit, actor=email(who), number=n, status=status, **extra)

    with pytest.raises(
        PermissionDenied, match=re.escape(f"Only {POLICE}'s audit lead or strategic lead")
    ):
        move("lead.csc", "in_progress")
    with pytest.raises(InvalidInput, match="is open, so it cannot become accepted"):
        move("lhm", "accepted")
    move("lead.police", "in_progress")
    with pytest.raises(InvalidInput, match="evidence of impact in 1 to"):
        move("lead.police", "evidence_submitted")
    _evidence(deps, audit, n)
    with pytest.raises(PermissionDenied, match="Only a learning hub member or the coordinator"):
        accept_evidence(deps, audit=audit, actor=email("lsp.police"), number=n)
    with pytest.raises(InvalidInput, match="reason the evidence is not yet enough in 1 to"):
        refuse_evidence(deps, audit=audit, actor=email("lhm"), number=n, reason=" ")
    refuse_evidence(
        deps, audit=audit, actor=email("lhm"), number=n, reason=f"{WORDS}: show the outcome"
    )
    (view,) = list_actions(deps, audit=audit, as_person=email("lead.police"))
    assert view.status == "in_progress" and view.review_note == f"{WORDS}: show the outcome"

    # Someone who submitted the evidence cannot accept it, whatever else they are.
    people.add_person(
        deps,
        name="Kit Chadderton",
        email=email("both.police"),
        roles=("strategic_lead", "learning_hub_member"),
        agency="police",
    )
    _evidence(deps, audit, n, lead="both.police")
    with pytest.raises(InvalidInput, match="Kit Chadderton submitted the evidence"):
        accept_evidence(deps, audit=audit, actor=email("both.police"), number=n)
    accept_evidence(deps, audit=audit, actor=email("lhm"), number=n)
    (view,) = list_actions(deps, audit=audit, as_person=email("coordinator"))
    assert (view.status, view.accepted_by) == ("accepted", person_name("lhm"))
    assert view.evidence is not None and view.accepted_at is not None
    with pytest.raises(InvalidInput, match="is accepted, so it cannot become withdrawn"):
        move("coordinator", "withdrawn", reason="No longer needed")
    with pytest.raises(InvalidInput, match="only an unfinished action has a due date"):
        change_due_date(deps, audit=audit, actor=email("chair"), number=n, due_on=_today(deps))

    other = _add(deps, audit, owner="csc")
    with pytest.raises(InvalidInput, match="carry actions forward with carry_forward"):
        set_status(deps, audit=audit, actor=email("chair"), number=other, status="carried_forward")
    with pytest.raises(PermissionDenied, match="only the chair or coordinator may withdraw"):
        set_status(deps, audit=audit, actor=email("lead.csc"), number=other, status="withdrawn")
    with pytest.raises(InvalidInput, match="reason for withdrawing it in 1 to"):
        set_status(deps, audit=audit, actor=email("chair"), number=other, status="withdrawn")
    set_status(
        deps,
        audit=audit,
        actor=email("chair"),
        number=other,
        status="withdrawn",
        reason="Superseded by the CSC improvement plan",
    )
    with pytest.raises(NotFound, match="No action"):
        set_status(deps, audit=audit, actor=email("chair"), number=9, status="withdrawn")
    assert _statuses(deps, audit) == {1: "accepted", 2: "withdrawn"}
    triggers = [e.trigger for e in queries.history(deps, audit=audit)][-7:]
    assert triggers == [
        "start_action",
        "submit_action_evidence",
        "refuse_action_evidence",
        "submit_action_evidence",
        "accept_action_evidence",
        "add_action",
        "withdraw_action",
    ]


def test_impact_monitoring_holds_until_every_action_is_finished(partnership: Deps) -> None:
    deps = partnership
    audit = _signed_off(deps, goal="impact_monitoring")
    police = [_add(deps, audit), _add(deps, audit)]
    csc = _add(deps, audit, owner="csc")
    with pytest.raises(GateBlocked) as blocked:
        audits.fire(deps, audit=audit, trigger="close", actor=email("coordinator"))
    assert [f.gate for f in blocked.value.failures] == ["actions_complete"]
    assert blocked.value.failures[0].reason == (
        f"3 actions are still open (1 for {CSC}, 2 for {POLICE}); accept their evidence, "
        "carry them forward or withdraw them"
    )
    for n in police:
        _evidence(deps, audit, n)
    # Evidence submitted is not yet accepted: the learning hub has still to decide.
    status = queries.audit_status(deps, audit=audit, as_person=email("coordinator"))
    (close,) = [s for s in status.next_steps if s.trigger == "close"]
    assert [f.reason.split(" (")[0] for f in close.blocked_by] == ["3 actions are still open"]
    for n in police:
        accept_evidence(deps, audit=audit, actor=email("lhm"), number=n)
    with pytest.raises(GateBlocked, match=re.escape(f"1 action is still open (1 for {CSC})")):
        audits.fire(deps, audit=audit, trigger="close", actor=email("coordinator"))
    set_status(
        deps,
        audit=audit,
        actor=email("coordinator"),
        number=csc,
        status="withdrawn",
        reason="Merged into action 1",
    )
    fired = audits.fire(deps, audit=audit, trigger="close", actor=email("coordinator"))
    assert fired.to_state == "closed"
    with pytest.raises(InvalidInput, match="closed; its records are closed"):
        _add(deps, audit)


def test_owners_are_reminded_and_overdue_actions_escalated(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    audit = _signed_off(deps)
    due_on = _today(deps) + timedelta(days=28)
    late = _add(deps, audit, days=28)
    on_time = _add(deps, audit, days=28)
    steps = [(s, k) for s, k, _ in _rungs(deps, audit)][::2]
    assert steps == [
        ("before:10", "reminder"),
        ("before:5", "reminder"),
        ("before:1", "reminder"),
        ("on_day", "reminder"),
        ("overdue:2", "overdue"),
        ("overdue:5", "escalation"),
    ]
    before = len(_outbox(deps))
    first = _rungs(deps, audit)[0][2]
    clock.set(first)
    assert sweep(deps).messages == 4  # two actions, each to the police lead and strategic lead
    sent = _outbox(deps)[before:]
    assert {(k, e) for k, e, _ in sent} == {
        ("reminder", email("lead.police")),
        ("reminder", email("lsp.police")),
    }
    context = sent[0][2]
    assert context["agency"] == POLICE and context["step"] == "before:10"
    assert context["state_title"] in {"Action plan, action 1", "Action plan, action 2"}
    assert context["audit"] == audit and context["theme"] == "Domestic abuse"
    due = datetime.fromisoformat(context["deadline_at"]).astimezone(LONDON)
    assert (due.date(), due.hour) == (due_on, 17)

    _evidence(deps, audit, on_time)  # nothing more is owed on this one
    before = len(_outbox(deps))
    for _, _, at in _rungs(deps, audit):
        clock.set(at)
        sweep(deps)
    later = _outbox(deps)[before:]
    numbers = {c["state_title"] for _, _, c in later}
    assert numbers == {f"Action plan, action {late}"}
    assert [(k, c["step"]) for k, e, c in later if e == email("chair")] == [
        ("escalation", "overdue:5")
    ]
    assert {(k, e) for k, e, c in later if c["step"] == "overdue:5"} == {
        ("escalation", email("lsp.police")),
        ("escalation", email("chair")),
    }
    assert {e for k, e, _ in later if k == "overdue"} == {
        email("lead.police"),
        email("lsp.police"),
    }
    assert sweep(deps).messages == 0
    for kind, _, context in later:  # the templates take what the sweep wrote, as it is
        message = render_message(
            kind,
            context,
            recipient_name=person_name("lsp.police"),
            base_url="https://oscp.example.org",
        )
        assert f"Action plan, action {late}" in message.text and POLICE in message.text


def test_a_new_due_date_moves_the_reminders(partnership: Deps, clock: FakeClock) -> None:
    deps = partnership
    audit = _signed_off(deps)
    n = _add(deps, audit, days=28)
    first = _rungs(deps, audit)[0][2]
    later = _today(deps) + timedelta(days=56)
    change_due_date(deps, audit=audit, actor=email("chair"), number=n, due_on=later)
    moved = _rungs(deps, audit)
    assert len(moved) == 6 and moved[0][2] > first + timedelta(days=27)
    clock.set(first)
    assert sweep(deps).messages == 0
    with pytest.raises(PermissionDenied, match="only the chair or coordinator may change"):
        change_due_date(
            deps, audit=audit, actor=email("lead.police"), number=n, due_on=_today(deps)
        )
    (view,) = list_actions(deps, audit=audit, as_person=email("lead.police"))
    assert view.due_on == later
    (moved_event,) = [
        e for e in queries.history(deps, audit=audit) if e.trigger == "reschedule_action"
    ]
    assert moved_event.reason == f"Action {n} ({POLICE}) now due {later}"


def test_open_actions_are_carried_into_the_next_cycle_of_the_theme(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    first = _signed_off(deps, theme="Domestic abuse", goal="impact_monitoring")
    done, started, untouched = _add(deps, first), _add(deps, first, owner="csc"), _add(deps, first)
    _evidence(deps, first, done)
    accept_evidence(deps, audit=first, actor=email("lhm"), number=done)
    set_status(deps, audit=first, actor=email("lead.csc"), number=started, status="in_progress")
    with pytest.raises(InvalidInput, match="No open audit of the theme 'Domestic abuse'"):
        carry_forward(deps, from_audit=first, actor=email("coordinator"))

    clock.advance(timedelta(days=1))
    start = audits.start_audit
    start(deps, audit_type="mace", theme="Neglect", lead=email("chair"), actor=email("coordinator"))
    second = start(
        deps,
        audit_type="dip_sample",
        theme="  domestic   ABUSE ",
        lead=email("chair"),
        actor=email("coordinator"),
    ).reference
    with pytest.raises(PermissionDenied, match="Only a coordinator can carry actions"):
        carry_forward(deps, from_audit=first, actor=email("chair"))
    with pytest.raises(InvalidInput, match="carry its actions forward once it is closing"):
        carry_forward(deps, from_audit=second, actor=email("coordinator"), to_audit=first)

    carried = carry_forward(deps, from_audit=first, actor=email("coordinator"))
    assert (carried.to_audit, carried.numbers) == (second, ((started, 1), (untouched, 2)))
    old = {v.number: v for v in list_actions(deps, audit=first, as_person=email("coordinator"))}
    assert [old[n].status for n in (done, started, untouched)] == [
        "accepted",
        "carried_forward",
        "carried_forward",
    ]
    assert old[started].carried_to == f"{second} action 1"
    new = list_actions(deps, audit=second, as_person=email("coordinator"))
    assert [(v.status, v.owner, v.carried_from) for v in new] == [
        ("in_progress", "csc", f"{first} action {started}"),
        ("open", "police", f"{first} action {untouched}"),
    ]
    assert new[0].recommendation == old[started].recommendation
    assert new[0].due_on == old[started].due_on
    # The old audit's rungs are done with; the new audit's actions have their own.
    assert _rungs(deps, first) == [] and len(_rungs(deps, second)) == 12

    again = carry_forward(deps, from_audit=first, actor=email("coordinator"))
    assert (again.to_audit, again.numbers) == (None, ())
    assert audits.fire(deps, audit=first, trigger="close", actor=email("coordinator")).to_state == (
        "closed"
    )
    reasons = {
        (e.trigger, e.reason)
        for audit in (first, second)
        for e in queries.history(deps, audit=audit)
        if "carr" in e.trigger
    }
    assert reasons == {
        ("carry_forward_actions", f"2 actions carried forward to {second}"),
        ("receive_carried_actions", f"2 actions carried forward from {first}"),
    }


def test_a_withdrawn_audit_hands_its_actions_to_a_named_audit(partnership: Deps) -> None:
    deps = partnership
    first = _signed_off(deps, theme="Serious youth violence", goal="impact_monitoring")
    _add(deps, first, owner="csc")
    audits.fire(
        deps,
        audit=first,
        trigger="withdraw",
        actor=email("coordinator"),
        reason="Folded into the partnership's SYV review",
    )
    with deps.uow(readonly=True) as uow:
        closed_at = uow.connection.execute(
            select(t.audit.c.closed_at).where(t.audit.c.reference == first)
        ).scalar_one()
    target = _signed_off(deps, theme="SYV multi-agency audit", goal="planning")
    carried = carry_forward(
        deps,
        from_audit=first,
        actor=email("coordinator"),
        to_audit=target,
        due_on=_today(deps) + timedelta(days=90),
    )
    assert carried.numbers == ((1, 1),)
    (view,) = list_actions(deps, audit=target, as_person=email("lead.csc"))
    assert view.due_on == _today(deps) + timedelta(days=90)
    with deps.uow(readonly=True) as uow:
        after = uow.connection.execute(
            select(t.audit.c.closed_at, t.audit.c.state).where(t.audit.c.reference == first)
        ).one()
    assert tuple(after) == (closed_at, "withdrawn")
    history = queries.history(deps, audit=first)
    assert history[-1].trigger == "carry_forward_actions"
    assert [e.version for e in history] == list(range(1, len(history) + 1))
    with pytest.raises(InvalidInput, match="into another audit, not itself"):
        carry_forward(deps, from_audit=first, actor=email("coordinator"), to_audit=first)


def test_the_recommendation_never_reaches_messages_or_history(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    audit = _signed_off(deps, goal="impact_monitoring")
    numbers = [_add(deps, audit, days=14), _add(deps, audit, owner="csc", days=14)]
    _evidence(deps, audit, numbers[0])
    refuse_evidence(deps, audit=audit, actor=email("lhm"), number=numbers[0], reason=WORDS)
    for _, _, at in _rungs(deps, audit):
        clock.set(at)
        sweep(deps)
    clock.advance(timedelta(days=1))
    audits.start_audit(
        deps,
        audit_type="mace",
        theme="Domestic abuse",
        lead=email("chair"),
        actor=email("coordinator"),
    )
    carry_forward(deps, from_audit=audit, actor=email("coordinator"))
    with deps.uow(readonly=True) as uow:
        outbox = uow.connection.execute(select(t.outbox)).all()
        events = uow.connection.execute(select(t.event)).all()
        reminders = uow.connection.execute(
            select(t.reminder, t.deadline).join(
                t.deadline, t.deadline.c.id == t.reminder.c.deadline_id
            )
        ).all()
    assert {o.kind for o in outbox} >= {"reminder", "overdue", "escalation"}
    for where in (outbox, events, reminders):
        assert WORDS not in repr(where)


def test_a_state_deadline_owed_by_action_owners_reminds_only_those_owing(
    tmp_path: Path, partnership: Deps, clock: FakeClock
) -> None:
    edited = (
        (DEFINITIONS / "mace.yaml")
        .read_text()
        .replace(
            "    description: Action owners evidence impact until the learning hub accepts it.\n",
            "    description: Action owners evidence impact until the learning hub accepts it.\n"
            "    deadline:\n"
            "      name: impact_evidence_due\n"
            "      working_days: 20\n"
            "      owed_by: action_owners\n"
            "      reminders:\n"
            "        before_working_days: [5]\n"
            "        on_due_day: false\n"
            "        remind: [strategic_lead, agency_lead]\n",
        )
    )
    (tmp_path / "mace.yaml").write_text(edited)
    catalogue = Catalogue.from_directory(tmp_path, tools=DEFINITIONS.parent / "tools")
    deps = Deps(partnership.uow, catalogue, partnership.clock)
    driver = drive(deps, "mace", to="dissemination")
    audit = driver.reference
    _add(deps, audit, owner="police")
    n = _add(deps, audit, owner="csc")
    set_status(
        deps,
        audit=audit,
        actor=email("lead.csc"),
        number=n,
        status="evidence_submitted",
        evidence="Done",
    )
    driver.share_learning()  # impact monitoring waits for what the audit shares
    audits.fire(deps, audit=audit, trigger="start_impact_monitoring", actor=email("coordinator"))
    with deps.uow(readonly=True) as uow:
        (rung,) = uow.connection.execute(
            select(t.reminder.c.due_at)
            .join(t.deadline, t.deadline.c.id == t.reminder.c.deadline_id)
            .where(t.deadline.c.name == "impact_evidence_due")
        ).scalars()
    before = len(_outbox(deps))
    clock.set(as_utc(rung))
    sweep(deps)
    sent = [
        (k, e, c["agency"])
        for k, e, c in _outbox(deps)[before:]
        if c.get("state_title") == "Impact monitoring"
    ]
    assert sorted(sent) == [
        ("reminder", email("lead.police"), POLICE),
        ("reminder", email("lsp.police"), POLICE),
    ]


def test_an_audit_type_declares_its_action_reminders(
    tmp_path: Path, partnership: Deps, clock: FakeClock
) -> None:
    mace = (DEFINITIONS / "mace.yaml").read_text()
    start = mace.index("action_reminders:")
    end = mace.index("\nstates:")
    declared = (
        "action_reminders:\n"
        "  before_working_days: [3]\n"
        "  on_due_day: false\n"
        "  remind: [agency_lead]\n"
        "  overdue:\n"
        "    - after_working_days: 1\n"
        "      notify: [strategic_lead, chair]\n"
    )
    (tmp_path / "mace.yaml").write_text(mace[:start] + declared + mace[end:])
    catalogue = Catalogue.from_directory(tmp_path, tools=DEFINITIONS.parent / "tools")
    deps = Deps(partnership.uow, catalogue, partnership.clock)
    audit = _signed_off(deps)
    _add(deps, audit, days=28)
    assert [(s, k) for s, k, _ in _rungs(deps, audit)] == [
        ("before:3", "reminder"),
        ("overdue:1", "escalation"),
    ]
    before = len(_outbox(deps))
    clock.set(_rungs(deps, audit)[0][2])
    sweep(deps)
    assert {e for _, e, _ in _outbox(deps)[before:]} == {email("lead.police")}
