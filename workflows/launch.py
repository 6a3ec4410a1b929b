"""Starting a deployment's flow run as the UI's Run button does, and waiting for its end."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound

from states.errors import AuditEngineError
from states.services.programme import list_entries
from workflows.deployments import DESCRIPTIONS
from workflows.runtime import current

START_AUDIT = "start-audit/start-audit"


class FlowRunFailed(AuditEngineError):
    pass


def deployments_registered() -> bool:
    """Whether every deployment is on the server. A served runner registers them one by one
    after it starts, and a run asked of a deployment not yet there fails with ObjectNotFound."""
    with get_client(sync_client=True) as client:
        try:
            for name in DESCRIPTIONS:
                client.read_deployment_by_name(f"{name}/{name}")
        except ObjectNotFound:
            return False
    return True


def run_and_wait(deployment: str, parameters: dict[str, Any], *, timeout: float = 120) -> UUID:
    """Creates the run on the server (a served runner or a worker picks it up) and waits for
    its end; a failed run raises with the run's own message. Returns the run's id."""
    run = run_deployment(deployment, parameters=parameters, timeout=0)
    assert isinstance(run, FlowRun)  # called synchronously, so never a coroutine
    wait_for(run.id, timeout=timeout)
    return run.id


def wait_for(run_id: UUID, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            state = client.read_flow_run(run_id).state
            if state is not None and state.is_final():
                break
            if time.monotonic() > deadline:
                raise FlowRunFailed(
                    f"Flow run {run_id} did not finish in {timeout:.0f} s; see the Prefect UI."
                )
            time.sleep(0.5)
    if not state.is_completed():
        raise FlowRunFailed(f"Flow run {run_id} ended {state.name}: {state.message}")


def start_audit_through_prefect(parameters: dict[str, Any]) -> str:
    """Starts a programme entry's audit by the start-audit deployment and returns its
    reference, read from the entry's link in the engine: results stay out of Prefect's
    storage, and the engine is the truth about which audit the entry has."""
    run_id = run_and_wait(START_AUDIT, parameters)
    key = parameters["programme_entry"]
    linked = [e.audit_reference for e in list_entries(current().deps) if e.key == key]
    if not linked or linked[0] is None:
        raise FlowRunFailed(f"Flow run {run_id} completed but no audit records it; report it.")
    return linked[0]
