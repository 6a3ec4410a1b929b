"""The deployments people start from the UI: a choice list of audit types, no schedules."""

from __future__ import annotations

from states.catalogue import Catalogue
from workflows.deployments import build_deployments
from workflows.launch import deployments_registered


def test_deployments_offer_the_audit_types_and_carry_no_schedule(catalogue: Catalogue) -> None:
    deployments = {d.name: d for d in build_deployments(catalogue.audit_types)}
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
    assert schema.properties["audit_type"]["enum"] == sorted(catalogue.audit_types)
    assert set(schema.required or []) == {"audit_type", "theme", "lead", "coordinator"}
    assert "chairs the audit" in schema.properties["lead"]["description"]
    assert start.entrypoint == "workflows.flows.start_audit_flow"
    assert all(not d.schedules for d in deployments.values())
    assert all("oscp" in d.tags for d in deployments.values())


def test_a_work_pool_is_named_on_every_deployment(catalogue: Catalogue) -> None:
    deployments = build_deployments(catalogue.audit_types, work_pool="oscp-test")
    assert {d.work_pool_name for d in deployments} == {"oscp-test"}


def test_deployments_are_registered_only_once_every_one_is_there(
    prefect_server: None, catalogue: Catalogue
) -> None:
    # `oscp up` waits on this before the showcase asks for runs: a run asked of a deployment
    # the runner has not yet registered fails with ObjectNotFound.
    deployments = build_deployments(catalogue.audit_types)
    for deployment in deployments[:-1]:
        deployment.apply()
    assert not deployments_registered()
    deployments[-1].apply()
    assert deployments_registered()
