"""The demo's walker (``oscp demo`` and the showcase audits use it): on the demo partnership,
it takes every shipped audit type from its initial state to 'closed' along the whole
process.

It runs on SQLite: the walker only calls services, and that the engine completes every type
through them on SQLite and PostgreSQL is tested in tests/states/services/test_audit_cycle.py
(with the tests' own driver)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from oscp_flow.rehearsal.demo import email, load_demo_partnership
from oscp_flow.rehearsal.walkthrough import Walker
from states.clock import LONDON
from states.definitions.graph import main_path
from states.services import audits, queries
from states.services.deps import Deps
from tests.conftest import DEFINITIONS

AUDIT_TYPES = sorted(p.stem for p in DEFINITIONS.glob("*.yaml"))


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    return sqlite_engine


@pytest.mark.parametrize("audit_type", AUDIT_TYPES)
def test_the_walker_takes_every_type_along_its_main_path(deps: Deps, audit_type: str) -> None:
    assert load_demo_partnership(deps)
    definition = deps.catalogue.current(audit_type).definition
    reference = audits.start_audit(
        deps,
        audit_type=audit_type,
        theme="Walkthrough",
        lead=email("chair"),
        actor=email("coordinator"),
    ).reference
    walker = Walker(deps, reference, deps.clock.now().astimezone(LONDON).date())
    fired = [(f.trigger, f.to_state) for f in walker.walk(definition)]
    planned = main_path(definition, definition.initial_state)
    assert fired == [(step.trigger, step.dest) for step in planned]
    status = queries.audit_status(deps, audit=reference, as_person=email("coordinator"))
    assert status.state == "closed"
