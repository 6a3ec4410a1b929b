"""The worker's tick through Prefect, under one test server, counted through Prefect's own
client: a part runs as a flow run only when something is due for it, tagged with the part
and the audits it touched, and quiet ticks make one heartbeat run an hour at most, on the
engine's clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from uuid import uuid4

import pytest
from prefect import tags
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import FlowRun
from sqlalchemy import Engine, func, select

from notifications.relay import RelayResult
from notifications.smtp import DeliveryDeferred
from oscp_flow.settings import PROJECT_ROOT
from states.clock import FakeClock, as_utc
from states.persistence import tables as t
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services.deps import Deps
from states.services.programme import load_programme
from states.services.sweep import SweepResult
from tests.support.driver import drive
from tests.support.partnership import seed_partnership
from tests.support.relay import raise_concern
from workflows.prefect_size import prefect_size
from workflows.runtime import Runtime
from workflows.tick import TickResult, tick_as_flows

pytestmark = pytest.mark.slow

PROGRAMME = PROJECT_ROOT / "definitions" / "programme" / "oscp-2025-28.yaml"
HEARTBEAT, SWEEP, RELAY, CALENDAR = (
    "periodic-heartbeat",
    "reminder-sweep",
    "outbox-relay",
    "partnership-calendar",
)
QUIET = TickResult(SweepResult(0, 0), RelayResult(), ())


@pytest.fixture
def partnership(sqlite_engine: Engine, catalogue: Catalogue, clock: FakeClock) -> Deps:
    """SQLite only: the tick through Prefect is thin; the checks are tested on both stores."""
    deps = Deps(uow=UnitOfWorkFactory(sqlite_engine), catalogue=catalogue, clock=clock)
    seed_partnership(deps)
    return deps


@pytest.fixture
def this_test() -> Iterator[str]:
    """A tag on every run the test makes, so its runs are counted apart from other tests'
    on the shared server."""
    tag = f"test:{uuid4().hex[:12]}"
    with tags(tag):
        yield tag


def runs(tag: str, flow: str) -> list[FlowRun]:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[flow])),
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[tag])),
        )


def counts(tag: str) -> dict[str, int]:
    return {flow: len(runs(tag, flow)) for flow in (HEARTBEAT, SWEEP, RELAY, CALENDAR)}


class Deferring:
    """A mail server that is down."""

    def send(self, message: EmailMessage) -> None:
        raise DeliveryDeferred(cause="ConnectionRefusedError", server_down=True)


def test_quiet_ticks_make_one_heartbeat_an_hour_and_no_other_run(
    flows_runtime: Runtime, clock: FakeClock, this_test: str
) -> None:
    clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    for _ in range(4 * 12):  # four hours of a tick every five minutes
        assert tick_as_flows(flows_runtime) == QUIET
        clock.advance(timedelta(minutes=5))
    assert counts(this_test) == {HEARTBEAT: 5, SWEEP: 0, RELAY: 0, CALENDAR: 0}
    beats = runs(this_test, HEARTBEAT)
    # Hours from the engine's clock (London's, which is UTC in March), not the wall clock.
    assert sorted(run.name for run in beats) == [
        f"nothing due at {hour:02d}:00" for hour in (9, 10, 11, 12, 13)
    ]
    assert all({"oscp", "periodic", "heartbeat"} <= set(run.tags) for run in beats)


def test_due_rungs_make_a_sweep_run_and_their_messages_a_relay_run_tagged_by_audit(
    flows_runtime: Runtime, clock: FakeClock, this_test: str
) -> None:
    deps = flows_runtime.deps
    reference = drive(deps, "section_11", to="returns_open").reference
    requests = tick_as_flows(flows_runtime)  # the return requests are due at once
    assert requests.relay.sent >= 1 and requests.sweep == SweepResult(0, 0)
    assert counts(this_test) == {HEARTBEAT: 0, SWEEP: 0, RELAY: 1, CALENDAR: 0}

    with deps.uow(readonly=True) as uow:
        first = uow.connection.execute(select(func.min(t.reminder.c.due_at))).scalar_one()
    clock.set(as_utc(first))
    reminded = tick_as_flows(flows_runtime)
    assert reminded.sweep.rungs == 1 and reminded.relay.sent == reminded.sweep.messages >= 1
    assert counts(this_test) == {HEARTBEAT: 0, SWEEP: 1, RELAY: 2, CALENDAR: 0}
    audit = {f"audit:{reference}", "type:section_11", "periodic", "oscp"}
    (sweep_run,) = runs(this_test, SWEEP)
    assert audit | {"reminders"} <= set(sweep_run.tags)
    assert sweep_run.name == f"reminder sweep: {reminded.sweep.messages} message(s) for {reference}"
    assert all(audit | {"outbox"} <= set(run.tags) for run in runs(this_test, RELAY))

    assert tick_as_flows(flows_runtime) == QUIET  # all done: only the hour's heartbeat
    assert counts(this_test) == {HEARTBEAT: 1, SWEEP: 1, RELAY: 2, CALENDAR: 0}


def test_a_retry_that_came_due_makes_a_relay_run_on_an_otherwise_quiet_tick(
    flows_runtime: Runtime, clock: FakeClock, this_test: str
) -> None:
    raise_concern(flows_runtime.deps)
    server_down = replace(flows_runtime, mailer=Deferring())
    assert tick_as_flows(server_down).relay == RelayResult(deferred=2)
    assert tick_as_flows(server_down) == QUIET  # the retry is not due yet
    assert counts(this_test) == {HEARTBEAT: 1, SWEEP: 0, RELAY: 1, CALENDAR: 0}

    clock.advance(timedelta(minutes=1))  # the first retry is due within a minute
    assert tick_as_flows(flows_runtime).relay == RelayResult(sent=2)
    assert counts(this_test) == {HEARTBEAT: 1, SWEEP: 0, RELAY: 2, CALENDAR: 0}


def test_the_calendar_runs_while_a_time_round_has_no_audit_and_its_audits_are_still_told(
    flows_runtime: Runtime, this_test: str
) -> None:
    # 2 March 2026: the quarterly report due in February and the training-impact audit due
    # in June have begun and have no audit yet.
    load_programme(flows_runtime.deps, PROGRAMME)
    first = tick_as_flows(flows_runtime)
    assert len(first.started) == 2
    assert counts(this_test) == {HEARTBEAT: 0, SWEEP: 0, RELAY: 1, CALENDAR: 1}
    (calendar_run,) = runs(this_test, CALENDAR)
    assert {"periodic", "calendar", *(f"audit:{ref}" for ref in first.started)} <= set(
        calendar_run.tags
    )
    # Both started: no calendar run, and the tick names the same audits as before.
    assert tick_as_flows(flows_runtime) == replace(QUIET, started=first.started)
    assert counts(this_test) == {HEARTBEAT: 1, SWEEP: 0, RELAY: 1, CALENDAR: 1}


def test_prefect_size_counts_the_runs_and_measures_the_database(
    flows_runtime: Runtime, this_test: str
) -> None:
    before = prefect_size()
    assert tick_as_flows(flows_runtime) == QUIET  # the hour's heartbeat
    after = prefect_size()
    assert after.flow_runs == before.flow_runs + 1
    assert after.database_bytes > 0
    assert after.database.startswith("SQLite file ") and after.database.endswith(".db")
