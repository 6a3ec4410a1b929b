"""Each flow against SQLite under one Prefect test server: what the run is called and tagged,
what it changed in the engine and in whose name, and that rules fail a run at once while
outages are retried."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun, StateType
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from notifications.capture import captured
from oscp_flow.settings import PROJECT_ROOT
from states.clock import FakeClock
from states.persistence import tables as t
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services import audits, queries
from states.services.deps import Deps
from states.services.dissemination import list_disseminations
from states.services.programme import load_programme
from tests.support.driver import drive
from tests.support.partnership import email, person_name, seed_partnership
from tests.support.reporting import drafting, s175_with_letters
from workflows import flows, report_flows, runtime, steps
from workflows.runtime import Runtime

pytestmark = pytest.mark.slow

PROGRAMME = PROJECT_ROOT / "definitions" / "programme" / "oscp-2025-28.yaml"
COORDINATOR = person_name("coordinator")  # whom the runs act as


@pytest.fixture
def partnership(sqlite_engine: Engine, catalogue: Catalogue, clock: FakeClock) -> Deps:
    """SQLite only: the flows are thin, and the services are tested on both stores."""
    deps = Deps(uow=UnitOfWorkFactory(sqlite_engine), catalogue=catalogue, clock=clock)
    seed_partnership(deps)
    load_programme(deps, PROGRAMME)
    return deps


def run_of(state: Any) -> FlowRun:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(state.state_details.flow_run_id)


def task_runs_of(run_id: UUID) -> list[Any]:
    with get_client(sync_client=True) as client:
        return client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id]))
        )


def start(**overrides: Any) -> Any:
    parameters: dict[str, Any] = {
        "programme_entry": "sexual-abuse-mace",
        "lead": email("chair"),
        "agencies": ["police", "csc"],
    }
    parameters.update(overrides)
    return flows.start_audit_flow(**parameters, return_state=True)


def via(state: Any) -> str:
    return f"via Prefect (flow run {run_of(state).id})"


def test_start_audit_starts_the_entry_as_the_operator_and_names_the_run(
    flows_runtime: Runtime,
) -> None:
    state = start()
    assert state.type == StateType.COMPLETED
    reference = state.result()["reference"]
    run = run_of(state)
    assert run.name == f"start mace {reference}"
    assert {f"audit:{reference}", "type:mace", "oscp"} <= set(run.tags)
    deps = flows_runtime.deps
    status = queries.audit_status(deps, audit=reference, as_person=email("coordinator"))
    assert status.state == "planning"
    assert status.theme == "Sexual abuse MACE"  # the plan's words, never typed into Prefect
    (event,) = queries.history(deps, audit=reference)
    assert (event.actor, event.reason) == (COORDINATOR, via(state))
    # An entry has one audit: a second run (or a retry) makes no other, and says which.
    again = start()
    assert again.type == StateType.FAILED
    assert again.message.startswith(
        f"Programme entry 'sexual-abuse-mace' already has audit {reference}"
    )
    with deps.uow(readonly=True) as uow:
        assert uow.connection.execute(select(func.count()).select_from(t.audit)).scalar() == 1


def test_a_rule_fails_the_run_at_once_with_the_engines_sentence(flows_runtime: Runtime) -> None:
    state = start(programme_entry="no-such-entry")
    assert state.type == StateType.FAILED
    assert state.message.startswith("No programme entry 'no-such-entry' was found")
    (task_run,) = task_runs_of(run_of(state).id)
    assert task_run.run_count == 1  # not retried


def test_advance_takes_the_step_as_the_operator_and_a_blocked_gate_says_which(
    flows_runtime: Runtime,
) -> None:
    deps = flows_runtime.deps
    reference = drive(deps, "mace", to="returns_open").reference
    blocked = flows.advance_audit_flow(
        reference=reference, trigger="close_returns", return_state=True
    )
    assert blocked.type == StateType.FAILED
    assert blocked.message is not None
    assert "all_returns_in" in blocked.message and reference in blocked.message
    assert run_of(blocked).name == f"close_returns {reference} (refused)"
    assert queries.audit_status(deps, audit=reference, as_person=email("chair")).state == (
        "returns_open"
    )

    fresh = drive(deps, "mace", to="auditors_assigned").reference
    version = queries.audit_status(deps, audit=fresh, as_person=email("chair")).version
    moved = flows.advance_audit_flow(reference=fresh, trigger="open_returns", return_state=True)
    assert moved.type == StateType.COMPLETED
    assert moved.result() == {"reference": fresh, "state": "returns_open", "version": version + 1}
    assert {f"audit:{fresh}", "type:mace"} <= set(run_of(moved).tags)
    last = queries.history(deps, audit=fresh)[-1]
    assert (last.trigger, last.actor, last.reason) == ("open_returns", COORDINATOR, via(moved))


def test_a_persons_decision_is_refused_by_the_form_and_by_the_flow(
    flows_runtime: Runtime,
) -> None:
    deps = flows_runtime.deps
    reference = drive(deps, "mace", to="returns_open").reference
    by_form = flows.advance_audit_flow(reference=reference, trigger="withdraw", return_state=True)
    assert by_form.type == StateType.FAILED  # Prefect's own check of the parameters
    # A caller that gets past Prefect's checks meets the flow's own.
    unchecked = flows.advance_audit_flow.with_options(validate_parameters=False)
    by_flow = unchecked(reference=reference, trigger="sign_off", return_state=True)
    assert by_flow.type == StateType.FAILED
    assert str(by_flow.message).startswith("'sign_off' is a person's decision")
    assert [e.trigger for e in queries.history(deps, audit=reference)][-1] == "open_returns"


def test_a_run_with_no_operator_or_one_who_is_no_coordinator_acts_as_nobody(
    flows_runtime: Runtime,
) -> None:
    runtime.install(replace(flows_runtime, operator=None))
    state = start()
    assert state.type == StateType.FAILED
    assert state.message.startswith("No operator is set for runs started through Prefect")
    runtime.install(replace(flows_runtime, operator=email("chair")))
    state = start()
    assert state.type == StateType.FAILED
    assert "is not a coordinator" in state.message
    with flows_runtime.deps.uow(readonly=True) as uow:
        assert uow.connection.execute(select(func.count()).select_from(t.audit)).scalar() == 0


@pytest.fixture
def flaky_fire(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The first call finds the database gone, as when PostgreSQL restarts mid-request."""
    calls: list[int] = []
    real_fire = audits.fire

    def fire(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))
        return real_fire(*args, **kwargs)

    monkeypatch.setattr(flows, "fire", fire)
    quick = steps.engine_call.with_options(retry_delay_seconds=0)
    monkeypatch.setattr(flows, "engine_call", quick)
    yield calls


def test_an_outage_is_retried_and_the_step_happens_once(
    flows_runtime: Runtime, flaky_fire: list[int]
) -> None:
    deps = flows_runtime.deps
    reference = drive(deps, "mace", to="auditors_assigned").reference
    state = flows.advance_audit_flow(reference=reference, trigger="open_returns", return_state=True)
    assert state.type == StateType.COMPLETED
    assert len(flaky_fire) == 2
    (task_run,) = task_runs_of(run_of(state).id)
    assert task_run.run_count == 2
    history = queries.history(deps, audit=reference)
    assert [e.trigger for e in history].count("open_returns") == 1


def test_sweep_and_relay_flows_send_what_is_due_once(
    flows_runtime: Runtime, capture: tuple[Path, int], clock: FakeClock
) -> None:
    deps = flows_runtime.deps
    drive(deps, "section_11", to="returns_open")
    assert flows.outbox_relay_flow()["sent"] >= 1  # the return requests
    requested = len(captured(capture[0]))
    with deps.uow(readonly=True) as uow:
        first_rung = uow.connection.execute(select(func.min(t.reminder.c.due_at))).scalar_one()
    clock.set(first_rung.replace(tzinfo=clock.now().tzinfo))
    swept = flows.reminder_sweep_flow()
    assert swept["rungs"] == 1 and swept["messages"] >= 1
    assert flows.reminder_sweep_flow() == {"rungs": 0, "messages": 0}
    assert flows.outbox_relay_flow()["sent"] == swept["messages"]
    assert len(captured(capture[0])) == requested + swept["messages"]


def test_flows_without_a_runtime_say_how_to_start_them(
    prefect_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(runtime.FACTORY_VARIABLE, raising=False)
    runtime.install(None)
    state = flows.reminder_sweep_flow(return_state=True)
    assert state.type == StateType.FAILED
    with pytest.raises(runtime.RuntimeMissing, match="oscp up"):
        state.result()


def test_the_calendar_flow_starts_each_time_round_once(flows_runtime: Runtime) -> None:
    # 2 March 2026: the quarterly report due in February and the training-impact audit due
    # in June have started; the programme review starts in April.
    first = flows.calendar_flow(return_state=True)
    result = first.result()
    assert isinstance(result, dict)
    assert set(result) == {"effectiveness-report", "training-impact-annual"}
    again = flows.calendar_flow(return_state=True)
    assert again.result() == result
    tags = set(run_of(again).tags)
    assert {f"audit:{result['effectiveness-report']}", "type:effectiveness_report"} <= tags
    assert {f"audit:{result['training-impact-annual']}", "type:training_impact"} <= tags
    deps = flows_runtime.deps
    (started,) = queries.history(deps, audit=result["effectiveness-report"])
    assert (started.actor, started.reason) == (COORDINATOR, via(first))


def test_the_calendar_flow_needs_its_people_set(flows_runtime: Runtime) -> None:
    runtime.install(replace(flows_runtime, calendar=None))
    state = flows.calendar_flow(return_state=True)
    assert state.type == StateType.FAILED
    assert "OSCP_CALENDAR_COORDINATOR" in str(state.message)


def test_report_flows_freeze_the_summary_then_share_what_was_signed_off(
    flows_runtime: Runtime,
) -> None:
    deps = flows_runtime.deps
    driver = drafting(deps, "dip_sample")
    reference = driver.reference
    early = report_flows.disseminate_flow(
        reference=reference,
        audience="learning hub members",
        channel="learning_hub",
        return_state=True,
    )
    assert early.type == StateType.FAILED
    assert early.message == f"Audit {reference} has no frozen summary report to work from."

    driver.advance("awaiting_sign_off")
    submitted = queries.history(deps, audit=reference)[-1]
    frozen_run = report_flows.generate_report_flow(reference=reference, return_state=True)
    frozen = frozen_run.result()
    assert isinstance(frozen, dict) and frozen["version"] == 1 and len(frozen["hash"]) == 64
    # Submitting froze it: the flow says which version, and writes nothing.
    assert queries.history(deps, audit=reference)[-1] == submitted

    driver.advance("dissemination")
    shared = report_flows.disseminate_flow(
        reference=reference,
        audience="learning hub members",
        channel="learning_hub",
        return_state=True,
    )
    assert shared.type == StateType.COMPLETED
    result = shared.result()
    assert isinstance(result, dict)
    assert result["products"] == 2  # the 7-minute briefing and learning on a page
    assert {f"audit:{reference}", "type:dip_sample"} <= set(run_of(shared).tags)
    assert [d.channel for d in list_disseminations(deps, audit=reference)] == ["learning_hub"]
    assert result["letters_sent"] == 0  # a dip sample writes to no setting


def test_disseminating_a_section_175_audit_sends_each_setting_its_letter_once(
    flows_runtime: Runtime,
) -> None:
    deps = flows_runtime.deps
    reference = s175_with_letters(deps)

    def share() -> dict[str, object]:
        result = report_flows.disseminate_flow(
            reference=reference,
            audience="all schools and settings",
            channel="email",
        )
        assert isinstance(result, dict)
        return result

    assert share()["letters_sent"] == 2
    assert share()["letters_sent"] == 0  # a second run shares the summary again, not letters
    by_email = [d for d in list_disseminations(deps, audit=reference) if d.channel == "email"]
    assert sorted(d.kind for d in by_email) == [
        "feedback_letter",
        "feedback_letter",
        "summary",
        "summary",
        "summary_to_all",
    ]
