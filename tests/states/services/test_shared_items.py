"""What an audit shares (issue 15, item 11): each type declares its items; impact monitoring
(or, for the programme review, closing) waits until each is recorded as shared, on a real day
and by one of its declared channels; an audit started before its type declared any is asked
for nothing. Both stores."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from states.clock import LONDON, FakeClock
from states.definitions.loader import load_tool_directory
from states.definitions.model import AuditTypeDefinition
from states.errors import GateBlocked, InvalidInput, PermissionDenied
from states.persistence import tables as t
from states.rules.catalogue import Catalogue
from states.services import audits, queries, shared_items
from states.services.deps import Deps
from tests.support.driver import Driver, drive
from tests.support.partnership import email, person_name
from tests.support.paths import DEFINITIONS

COORDINATOR = email("coordinator")


def _today(clock: FakeClock) -> date:
    return clock.now().astimezone(LONDON).date()


def _share(deps: Deps, reference: str, item: str, channel: str, on: date) -> bool:
    return shared_items.record_shared(
        deps, audit=reference, actor=COORDINATOR, item=item, channel=channel, on=on
    )


def _start_monitoring(deps: Deps, reference: str) -> None:
    audits.fire(deps, audit=reference, trigger="start_impact_monitoring", actor=COORDINATOR)


def test_impact_monitoring_waits_for_each_declared_item(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = drive(deps, "mace", "dissemination").reference
    with pytest.raises(GateBlocked) as blocked:
        _start_monitoring(deps, reference)
    assert [f.gate for f in blocked.value.failures] == ["dissemination_recorded"]
    for title in ("Findings presented to the learning hub", "7-minute briefing"):
        assert title in str(blocked.value)

    today = _today(clock)
    _share(deps, reference, "learning_hub", "learning_hub_meeting", today - timedelta(days=9))
    _share(deps, reference, "website", "partnership_website", today)
    _share(deps, reference, "briefing", "briefing_session", today - timedelta(days=2))
    with pytest.raises(
        GateBlocked,
        match=r"still to record as shared: Practitioner learning on a "
        r"page \(learning_on_a_page\)\.$",
    ):
        _start_monitoring(deps, reference)
    status = queries.audit_status(deps, audit=reference, as_person=COORDINATOR)
    (step,) = [s for s in status.next_steps if s.trigger == "start_impact_monitoring"]
    assert [f.gate for f in step.blocked_by] == ["dissemination_recorded"]

    _share(deps, reference, "learning_on_a_page", "email_to_agencies", today)
    _start_monitoring(deps, reference)
    assert queries.audit_status(deps, audit=reference, as_person=COORDINATOR).state == (
        "impact_monitoring"
    )
    shown = shared_items.sharing_of(deps, audit=reference)
    assert shown.declared and not shown.waiting
    (hub,) = [i for i in shown.items if i.id == "learning_hub"]
    assert [(r.channel, r.shared_on, r.recorded_by) for r in hub.records] == [
        ("learning_hub_meeting", today - timedelta(days=9), person_name("coordinator"))
    ]


def test_a_day_to_come_or_a_channel_not_declared_is_refused(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    reference = drive(deps, "mace", "dissemination").reference
    today = _today(clock)
    with pytest.raises(InvalidInput, match="cannot be in the future"):
        _share(deps, reference, "briefing", "newsletter", today + timedelta(days=1))
    with pytest.raises(
        InvalidInput, match="is shared by 'partnership_website', not by 'newsletter'"
    ):
        _share(deps, reference, "website", "newsletter", today)
    with pytest.raises(InvalidInput, match="does not share 'podcast'"):
        _share(deps, reference, "podcast", "newsletter", today)
    assert shared_items.sharing_of(deps, audit=reference).items[2].records == ()

    # The same item, channel and day is one record; another channel or day is another.
    assert _share(deps, reference, "briefing", "newsletter", today - timedelta(days=30))
    assert not _share(deps, reference, "briefing", "newsletter", today - timedelta(days=30))
    assert _share(deps, reference, "briefing", "briefing_session", today)
    (briefing,) = [
        i for i in shared_items.sharing_of(deps, audit=reference).items if i.id == "briefing"
    ]
    assert [r.channel for r in briefing.records] == ["newsletter", "briefing_session"]
    recorded = [e for e in queries.history(deps, audit=reference) if e.trigger == "record_shared"]
    assert [e.reason for e in recorded] == [
        f"Shared briefing by newsletter on {today - timedelta(days=30)}",
        f"Shared briefing by briefing_session on {today}",
    ]


def test_only_organisers_record_and_only_signed_off_learning(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", "dissemination").reference
    with pytest.raises(PermissionDenied, match="only the chair or coordinator may record shared"):
        shared_items.record_shared(
            deps,
            audit=reference,
            actor=email("lead.police"),
            item="website",
            channel="partnership_website",
            on=date(2026, 1, 5),
        )
    early = drive(deps, "mace", "returns_open").reference
    with pytest.raises(InvalidInput, match="only signed-off learning is shared"):
        _share(deps, early, "website", "partnership_website", date(2026, 1, 5))


def test_the_programme_review_closes_only_once_its_programme_is_shared(
    partnership: Deps, clock: FakeClock
) -> None:
    deps = partnership
    driver = drive(deps, "programme_review", "published")
    with pytest.raises(
        GateBlocked,
        match="dissemination_recorded: still to record as shared: "
        "Revised programme published on the OSCP website",
    ):
        audits.fire(deps, audit=driver.reference, trigger="close", actor=COORDINATOR)
    _share(deps, driver.reference, "website", "partnership_website", _today(clock))
    _share(deps, driver.reference, "partners", "email_to_agencies", _today(clock))
    driver.advance("closed")
    assert driver.state() == "closed"


# --- audits started before types declared what they share ---------------------------------


def _older(definition: AuditTypeDefinition) -> AuditTypeDefinition:
    """``definition`` as it was before types declared what they share."""
    data = json.loads(definition.canonical_json())
    del data["dissemination"], data["raised_by_agency"]
    for transition in data["transitions"]:
        transition["gates"] = [g for g in transition["gates"] if g != "dissemination_recorded"]
    return AuditTypeDefinition.model_validate(data)


def _stored_without_the_keys(deps: Deps, reference: str) -> None:
    """The snapshot as it was stored then: without the keys at all (not even as null). Test
    set-up only: it stands for a database written by the engine before this change."""
    with deps.uow() as uow:
        c = uow.connection
        content_hash = c.execute(
            select(t.audit.c.definition_hash).where(t.audit.c.reference == reference)
        ).scalar_one()
        snapshot = t.snapshot.c
        stored = json.loads(
            c.execute(
                select(snapshot.canonical_json).where(snapshot.content_hash == content_hash)
            ).scalar_one()
        )
        del stored["dissemination"], stored["raised_by_agency"]
        c.execute(
            update(t.snapshot)
            .where(snapshot.content_hash == content_hash)
            .values(canonical_json=json.dumps(stored))
        )
        uow.commit()


def test_an_audit_started_before_its_type_declared_sharing_is_not_held(
    partnership: Deps,
) -> None:
    deps = partnership
    mace = deps.catalogue.current("mace").definition
    then = Catalogue({"mace": _older(mace)}, load_tool_directory(DEFINITIONS.parent / "tools"))
    driver = Driver.start(Deps(deps.uow, then, deps.clock), "mace")
    driver.advance("dissemination")
    _stored_without_the_keys(deps, driver.reference)

    # Read back by today's engine: it has no items and no gate, so nothing holds it.
    sharing = shared_items.sharing_of(deps, audit=driver.reference)
    assert not sharing.declared and sharing.items == ()
    with pytest.raises(InvalidInput, match="nothing to record"):
        _share(deps, driver.reference, "website", "partnership_website", date(2026, 1, 5))
    _start_monitoring(deps, driver.reference)
    status = queries.audit_status(deps, audit=driver.reference, as_person=COORDINATOR)
    assert status.state == "impact_monitoring"
