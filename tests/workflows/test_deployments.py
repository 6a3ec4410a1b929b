"""The deployments people start from the UI: choice lists of programme entries and of
operational steps, no person acting, no schedules."""

from __future__ import annotations

from typing import get_args

from states.services.operator import OPERATIONAL_TRIGGERS
from states.services.report_store import CHANNELS
from workflows.deployments import build_deployments
from workflows.launch import deployments_registered
from workflows.parameters import Channel

ENTRIES = ["sexual-abuse-mace", "camhs-deep-dive"]


def test_deployments_offer_the_programme_and_carry_no_schedule() -> None:
    deployments = {d.name: d for d in build_deployments(ENTRIES)}
    assert set(deployments) == {
        "start-audit",
        "advance-audit",
        "generate-report",
        "disseminate",
        "reminder-sweep",
        "outbox-relay",
        "partnership-calendar",
    }
    start = deployments["start-audit"]
    schema = start._parameter_openapi_schema
    assert schema.properties["programme_entry"]["enum"] == ENTRIES  # the plan's order
    assert set(schema.required or []) == {"programme_entry", "lead"}
    assert "chairs the audit" in schema.properties["lead"]["description"]
    assert start.entrypoint == "workflows.flows.start_audit_flow"
    advance = deployments["advance-audit"]._parameter_openapi_schema
    assert set(advance.properties) == {"reference", "trigger"}
    assert advance.properties["trigger"]["enum"] == list(OPERATIONAL_TRIGGERS)
    assert get_args(Channel) == CHANNELS
    assert all(not d.schedules for d in deployments.values())
    assert all("oscp" in d.tags for d in deployments.values())


def test_without_a_programme_loaded_any_key_of_the_right_shape_is_asked_for() -> None:
    start = next(d for d in build_deployments([]) if d.name == "start-audit")
    entry = start._parameter_openapi_schema.properties["programme_entry"]
    assert "enum" not in entry and entry["pattern"]


def test_a_work_pool_is_named_on_every_deployment() -> None:
    deployments = build_deployments(ENTRIES, work_pool="oscp-test")
    assert {d.work_pool_name for d in deployments} == {"oscp-test"}


def test_deployments_are_registered_only_once_every_one_is_there(prefect_server: None) -> None:
    # `oscp up` waits on this before the showcase asks for runs: a run asked of a deployment
    # the runner has not yet registered fails with ObjectNotFound.
    deployments = build_deployments(ENTRIES)
    for deployment in deployments[:-1]:
        deployment.apply()
    assert not deployments_registered()
    deployments[-1].apply()
    assert deployments_registered()
