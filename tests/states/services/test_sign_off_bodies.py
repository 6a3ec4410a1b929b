"""Sign-off by the directory's bodies (issue 16, items 3-6), on both stores: each body reaches
its own quorum, decisions name their bodies in the history, members who had not decided are
told once when it is over, a programme entry sends its report to its own body and records the
day it was signed off, and an audit started under the role-based rule decides as before."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select, update

from states.clock import LONDON
from states.definitions.loader import load_tool_directory
from states.definitions.model import AuditTypeDefinition
from states.errors import GateBlocked, InvalidInput, PermissionDenied
from states.persistence import tables as t
from states.persistence.vocabulary import LinkPurpose
from states.rules.catalogue import Catalogue
from states.services import audits, bodies, links, minting, queries, sign_off_views, work
from states.services.deps import Deps
from states.services.programme import list_entries, load_programme, start_from_programme
from tests.support.driver import Driver, drive
from tests.support.partnership import email, person_name
from tests.support.paths import DEFINITIONS

COORDINATOR = email("coordinator")
PROGRAMME = DEFINITIONS.parent / "programme" / "oscp-2025-28.yaml"
HUB, PARTNERS = "Northvale Learning Hub", "Northvale Safeguarding Partners"
COMMENT = "Please evidence how the recommendations will be resourced."
REFUSE = "request_further_assurance"


def _decide(deps: Deps, reference: str, local: str, decision: str = "approve") -> None:
    comment = COMMENT if decision == "refuse" else None
    work.record_sign_off_decision(
        deps, audit=reference, actor=email(local), decision=decision, comment=comment
    )


def _sign_off(deps: Deps, reference: str) -> str:
    return audits.fire(deps, audit=reference, trigger="sign_off", actor=COORDINATOR).to_state


def _told(deps: Deps, reference: str, kind: str) -> list[tuple[str, dict[str, str]]]:
    """(recipient's name, context) of each ``kind`` message queued about the audit."""
    o = t.outbox
    with deps.uow(readonly=True) as uow:
        rows = uow.connection.execute(
            select(t.person.c.name, o.c.context)
            .join(t.person, t.person.c.id == o.c.recipient_id)
            .join(t.audit, t.audit.c.id == o.c.audit_id)
            .where(t.audit.c.reference == reference, o.c.kind == kind)
            .order_by(t.person.c.name)
        ).all()
    return [(name, json.loads(context)) for name, context in rows]


def _names(*locals_: str) -> list[str]:
    return sorted(person_name(local) for local in locals_)


def _reasons(deps: Deps, reference: str) -> list[str | None]:
    return [e.reason for e in queries.history(deps, audit=reference)]


def test_two_statutory_partners_alone_do_not_sign_off_a_mace(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", to="awaiting_sign_off").reference
    _decide(deps, reference, "lsp.police")
    _decide(deps, reference, "lsp.council")
    with pytest.raises(GateBlocked, match="0 of the 1 approvals needed from the learning hub"):
        _sign_off(deps, reference)
    _decide(deps, reference, "lhm")
    assert _sign_off(deps, reference) == "actions_agreed"
    assert f"Approved by {person_name('lsp.police')} for {PARTNERS}" in _reasons(deps, reference)
    assert f"Approved by {person_name('lhm')} for {HUB}" in _reasons(deps, reference)


def test_one_hub_member_and_one_partner_are_not_enough(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", to="awaiting_sign_off").reference
    _decide(deps, reference, "lhm")
    _decide(deps, reference, "lsp.health")
    with pytest.raises(GateBlocked, match="1 of the 2 approvals needed from the statutory"):
        _sign_off(deps, reference)


def test_only_members_of_its_bodies_decide_and_never_the_author(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "effectiveness_report", to="awaiting_sign_off").reference
    # The quarterly report goes to the learning hub alone: a statutory partner has no say.
    for outsider in ("lsp.police", "lead.police", "coordinator"):
        with pytest.raises(PermissionDenied):
            _decide(deps, reference, outsider)
    with pytest.raises(InvalidInput, match="author cannot sign off"):
        _decide(deps, reference, "chair")
    _decide(deps, reference, "lhm")
    assert _sign_off(deps, reference) == "dissemination"


def test_who_is_asked_are_the_active_members_of_its_bodies(partnership: Deps) -> None:
    deps = partnership
    hub_only = drive(deps, "effectiveness_report", to="awaiting_sign_off").reference
    assert [n for n, _ in _told(deps, hub_only, "sign_off_requested")] == _names("lhm")
    mace = drive(deps, "mace", to="awaiting_sign_off").reference
    asked = [n for n, _ in _told(deps, mace, "sign_off_requested")]
    assert asked == _names("lhm", "lsp.council", "lsp.police", "lsp.health")


def test_the_history_names_the_member_and_body_of_a_decision_by_link(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", to="awaiting_sign_off").reference
    _decide(deps, reference, "lhm")
    _decide(deps, reference, "lsp.police")
    with deps.uow(readonly=True) as uow:
        audit_id = uow.connection.execute(
            select(t.audit.c.id).where(t.audit.c.reference == reference)
        ).scalar_one()
        council = uow.connection.execute(
            select(t.person.c.id).where(t.person.c.email == email("lsp.council"))
        ).scalar_one()
    token = minting.mint(deps, purpose=LinkPurpose.SIGN_OFF, audit_id=audit_id, person_id=council)
    assert token is not None
    assert links.decide_sign_off(deps, token, decision="approve", comment=None) == "actions_agreed"
    last = queries.history(deps, audit=reference)[-1]
    assert (last.trigger, last.reason) == (
        "sign_off",
        f"Approved by {person_name('lsp.council')} for {PARTNERS}",
    )
    assert all("e-mailed link" not in (r or "") for r in _reasons(deps, reference))


def test_members_who_had_not_decided_are_told_once_it_is_signed_off(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", to="awaiting_sign_off")
    driver.advance("actions_agreed")  # the learning hub's member and two partners approve
    told = _told(deps, driver.reference, "sign_off_closed")
    assert [name for name, _ in told] == _names("lsp.health")
    assert told[0][1]["decision"] == "approved"


def test_members_who_had_not_decided_are_told_once_it_is_sent_back(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", to="awaiting_sign_off").reference
    _decide(deps, reference, "lhm")
    _decide(deps, reference, "lsp.health", "refuse")
    fired = audits.fire(
        deps,
        audit=reference,
        trigger="request_further_assurance",
        actor=COORDINATOR,
        reason="Sent back",
    )
    assert fired.to_state == "further_assurance_requested"
    told = _told(deps, reference, "sign_off_closed")
    assert [name for name, _ in told] == _names("lsp.council", "lsp.police")
    assert {context["decision"] for _, context in told} == {"refused"}
    # The refusal's words stay with the decision: never in a message.
    o = t.outbox
    with deps.uow(readonly=True) as uow:
        contexts = uow.connection.execute(select(o.c.context)).scalars().all()
    assert not any("resourced" in c for c in contexts)


def test_the_decisions_and_comments_are_shown_to_the_chair_and_coordinators(
    partnership: Deps,
) -> None:
    deps = partnership
    reference = drive(deps, "mace", to="awaiting_sign_off").reference
    _decide(deps, reference, "lhm")
    _decide(deps, reference, "lsp.health", "refuse")
    for organiser in ("chair", "coordinator"):
        view = sign_off_views.sign_off_of(deps, audit=reference, viewer=email(organiser))
        assert view.comments_shown
        refused = next(d for d in view.decisions if d.decision == "refuse")
        assert (refused.person, refused.bodies, refused.comment, refused.round) == (
            person_name("lsp.health"),
            (PARTNERS,),
            COMMENT,
            1,
        )
    member = sign_off_views.sign_off_of(deps, audit=reference, viewer=email("lsp.police"))
    assert not member.comments_shown
    assert all(d.comment is None for d in member.decisions)
    assert [d.person for d in member.decisions] == [person_name("lhm"), person_name("lsp.health")]


def test_a_member_of_both_bodies_decides_for_each(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", to="awaiting_sign_off").reference
    bodies.add_member(
        deps, body="nv_hub", person=email("lsp.police"), actor=COORDINATOR, reason="Joined"
    )
    _decide(deps, reference, "lsp.police")
    _decide(deps, reference, "lsp.council")
    assert _sign_off(deps, reference) == "actions_agreed"
    decided = sign_off_views.sign_off_of(deps, audit=reference, viewer=COORDINATOR).decisions[0]
    assert decided.bodies == (HUB, PARTNERS)


# --- refusal by majority ---------------------------------------------------------------------


def _by_majority(definition: AuditTypeDefinition) -> AuditTypeDefinition:
    data = json.loads(definition.canonical_json())
    data["sign_off"]["refusal"] = "majority"
    return AuditTypeDefinition.model_validate(data)


def _with(deps: Deps, definition: AuditTypeDefinition) -> Deps:
    tools = load_tool_directory(DEFINITIONS.parent / "tools")
    return Deps(deps.uow, Catalogue({definition.audit_type: definition}, tools), deps.clock)


def test_with_refusal_by_majority_one_refusal_is_outvoted(partnership: Deps) -> None:
    deps = partnership
    mace = _by_majority(deps.catalogue.current("mace").definition)
    driver = Driver.start(_with(deps, mace), "mace")
    driver.advance("awaiting_sign_off")
    reference = driver.reference
    _decide(deps, reference, "lhm")
    _decide(deps, reference, "lsp.health", "refuse")
    _decide(deps, reference, "lsp.police")
    with pytest.raises(GateBlocked, match="the statutory partners are tied, 1 to 1"):
        _sign_off(deps, reference)
    with pytest.raises(GateBlocked):
        audits.fire(
            deps,
            audit=reference,
            trigger="request_further_assurance",
            actor=COORDINATOR,
            reason="x",
        )
    _decide(deps, reference, "lsp.council")
    assert _sign_off(deps, reference) == "actions_agreed"


# --- audits started under the role-based rule -------------------------------------------------


def _by_roles(definition: AuditTypeDefinition) -> AuditTypeDefinition:
    """``definition`` as it was before sign-off named bodies: roles and one quorum of two."""
    data = json.loads(definition.canonical_json())
    data["sign_off"] = {
        "roles": ["learning_hub_member", "statutory_partner"],
        "quorum": 2,
        "exclude_author": True,
        "link_expiry_working_days": 10,
    }
    for transition in data["transitions"]:
        if "sign_off_member" in transition["roles"]:
            transition["roles"] = ["coordinator", "learning_hub_member", "statutory_partner"]
    for state in data["states"]:
        ladder = (state.get("deadline") or {}).get("reminders")
        if ladder and ladder["remind"] == ["sign_off_member"]:
            ladder["remind"] = ["learning_hub_member", "statutory_partner"]
    return AuditTypeDefinition.model_validate(data)


def _stored_as_then(deps: Deps, reference: str) -> None:
    """The snapshot as the engine stored it then, without the keys bodies brought (not even
    as null). Test set-up only: it stands for a database written before this change."""
    s = t.snapshot.c
    with deps.uow() as uow:
        c = uow.connection
        content_hash = c.execute(
            select(t.audit.c.definition_hash).where(t.audit.c.reference == reference)
        ).scalar_one()
        stored = json.loads(
            c.execute(select(s.canonical_json).where(s.content_hash == content_hash)).scalar_one()
        )
        for key in ("bodies", "refusal"):
            del stored["sign_off"][key]
        c.execute(
            update(t.snapshot)
            .where(s.content_hash == content_hash)
            .values(canonical_json=json.dumps(stored))
        )
        uow.commit()


def test_an_audit_started_under_the_role_rule_decides_as_before(partnership: Deps) -> None:
    deps = partnership
    then = _with(deps, _by_roles(deps.catalogue.current("mace").definition))
    driver = Driver.start(then, "mace")
    driver.advance("report_drafting")
    _stored_as_then(deps, driver.reference)
    reference = driver.reference
    # Read back by today's engine: the roles ask, and any two of them sign off.
    Driver(deps, reference).fire("submit_for_sign_off")
    asked = [n for n, _ in _told(deps, reference, "sign_off_requested")]
    assert asked == _names("lhm", "lsp.council", "lsp.police", "lsp.health")
    _decide(deps, reference, "lsp.police")
    _decide(deps, reference, "lsp.council")
    assert _sign_off(deps, reference) == "actions_agreed"
    assert f"Approved by {person_name('lsp.police')}" in _reasons(deps, reference)


# --- the programme: its body, and the day it was signed off ---------------------------------


def test_a_deep_dive_reported_to_the_performance_group_is_signed_off_by_it(
    partnership: Deps,
) -> None:
    deps = partnership
    load_programme(deps, PROGRAMME)
    fired = start_from_programme(deps, key="fgm-deep-dive", lead=email("chair"), actor=COORDINATOR)
    reference = fired.reference
    driver = Driver(deps, reference)
    driver.advance("awaiting_sign_off")
    # The performance group's members are asked (the chair, its author, is not one).
    asked = [n for n, _ in _told(deps, reference, "sign_off_requested")]
    assert asked == _names("lhm", "lsp.council")
    with pytest.raises(PermissionDenied):
        _decide(deps, reference, "lsp.police")  # a statutory partner, not of this group
    _decide(deps, reference, "lsp.council")
    assert _sign_off(deps, reference) == "actions_agreed"
    today = deps.clock.now().astimezone(LONDON).date()
    entry = next(e for e in list_entries(deps) if e.key == "fgm-deep-dive")
    assert (entry.audit_reference, entry.signed_off_on) == (reference, today)
    others = [e for e in list_entries(deps) if e.key != "fgm-deep-dive"]
    assert all(e.signed_off_on is None for e in others)


def test_the_sign_off_day_is_recorded_for_a_recurring_time_round(partnership: Deps) -> None:
    deps = partnership
    load_programme(deps, PROGRAMME)
    reference = start_from_programme(
        deps, key="effectiveness-report", lead=email("chair"), actor=COORDINATOR
    ).reference
    driver = Driver(deps, reference)
    driver.advance("awaiting_sign_off")
    driver.fire("sign_off")
    entry = next(e for e in list_entries(deps) if e.key == "effectiveness-report")
    assert entry.audit_reference == reference
    assert isinstance(entry.signed_off_on, date)
