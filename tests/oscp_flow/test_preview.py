"""Preview lists what will be sent and when, and leaves the real database untouched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, Table, func, select

from oscp_flow.rehearsal.demo import email, load_demo_partnership
from oscp_flow.rehearsal.preview import preview_audit, preview_type
from oscp_flow.rehearsal.walkthrough import rehearse
from states.clock import LONDON, FakeClock
from states.errors import InvalidInput
from states.persistence import tables as t
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services.deps import Deps
from tests.conftest import START


def _count(deps: Deps, table: Table) -> int:
    with deps.uow(readonly=True) as uow:
        return int(uow.connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_type_preview_runs_the_whole_cycle(catalogue: Catalogue) -> None:
    lines = preview_type(catalogue, audit_type="mace", start=START)
    deadlines = [line for line in lines if line.what == "deadline"]
    assert {line.detail.split()[0] for line in deadlines} >= {"case_audits_due", "sign_off_due"}
    kinds = {line.what for line in lines}
    assert {"return_requested", "reminder", "sign_off_requested", "sign_off_decided"} <= kinds
    assert lines == sorted(lines, key=lambda line: (line.at, line.what, line.to))
    reminders = [line for line in lines if line.what == "reminder"]
    assert all(line.at.astimezone(LONDON).hour == 9 for line in reminders)


def test_an_audit_preview_works_on_a_copy(sqlite_engine: Engine, catalogue: Catalogue) -> None:
    deps = Deps(UnitOfWorkFactory(sqlite_engine), catalogue, FakeClock(START))
    load_demo_partnership(deps)
    reference = rehearse(deps, "section_11", goal="returns_open").reference
    before = (_count(deps, t.outbox), _count(deps, t.reminder))
    lines = preview_audit(deps, audit=reference)
    assert (_count(deps, t.outbox), _count(deps, t.reminder)) == before
    steps = [line.detail.split()[0] for line in lines if line.what in ("reminder", "overdue")]
    assert {"before:10", "before:5", "before:1", "on_day", "overdue:2"} <= set(steps)
    escalations = [line for line in lines if line.what == "escalation"]
    assert escalations and all(line.at > START + timedelta(days=20) for line in escalations)
    assert any(line.to.endswith(f"<{email('lead.police')}>") for line in lines)


@pytest.mark.postgres
def test_an_audit_preview_needs_the_embedded_database(
    postgres_engine: Engine, catalogue: Catalogue
) -> None:
    deps = Deps(UnitOfWorkFactory(postgres_engine), catalogue, FakeClock(START))
    load_demo_partnership(deps)
    reference = rehearse(deps, "section_11", goal="returns_open").reference
    with pytest.raises(InvalidInput, match="preview the audit type instead"):
        preview_audit(deps, audit=reference)


def test_a_section_175_preview_asks_the_settings_not_the_agencies(catalogue: Catalogue) -> None:
    lines = preview_type(catalogue, audit_type="section_175", start=START)
    asked = [line for line in lines if line.what == "return_requested"]
    assert [(line.to, line.detail) for line in asked] == [
        (f"Avery Dunham <{email('lead.schools')}>", "Schools and colleges")
    ]
    agencies = {email(local) for local in ("lead.police", "lead.csc", "lead.health")}
    assert not any(line.to.split("<")[-1].rstrip(">") in agencies for line in lines)
    # The demo's early years settings have no lead: the coordinator is told, once.
    unasked = [line for line in lines if line.what == "returns_unasked"]
    assert [(line.to, line.detail) for line in unasked] == [
        (f"Robin Ashworth <{email('coordinator')}>", "Early years settings")
    ]
