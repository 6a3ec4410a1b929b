"""Deployments of the flows: what people start from the Prefect UI, and no schedules.

APScheduler is the one clock (DESIGN.md decision 5), so no deployment carries a schedule;
the periodic flows are deployed too only so a coordinator can run a sweep or the relay now.
Entry points are module paths: the engine is installed, so a worker imports the flows as
the project does instead of reading files from a path that may differ between machines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import Flow
from prefect.deployments.runner import RunnerDeployment
from prefect.types.entrypoint import EntrypointType

from workflows.flows import PEOPLE_FLOWS, PERIODIC_FLOWS
from workflows.report_flows import REPORT_FLOWS
from workflows.steps import TAG

# Runs act as the operator (OSCP_PREFECT_OPERATOR), never as a person named in the form.
DESCRIPTIONS = {
    "start-audit": "Start a programme entry's audit as the operator; its chair is e-mailed.",
    "advance-audit": (
        "Take an operational step of an audit as the operator (open or close returns, ...); "
        "a person's decisions are taken by them, not here."
    ),
    "generate-report": "Render and freeze an audit's summary report (HTML and PDF) for sign-off.",
    "disseminate": "Make a signed-off report's products (briefing, letters) and record sharing it.",
    "reminder-sweep": "Queue every reminder and escalation now due (the worker runs this).",
    "outbox-relay": "Send the e-mails that are due (the worker runs this).",
    "partnership-calendar": (
        "Start this quarter's effectiveness report and this year's programme review, "
        "if not yet started (the worker runs this)."
    ),
}


def build_deployments(
    programme_entries: Sequence[str], *, work_pool: str | None = None
) -> list[RunnerDeployment]:
    """One deployment per flow, named as the flow; ``programme_entry`` is a choice list of
    the loaded programme's keys (with none loaded, any key of the right shape is asked for,
    and the engine refuses one it does not know)."""
    flows: tuple[Flow[Any, Any], ...] = (*PEOPLE_FLOWS, *REPORT_FLOWS, *PERIODIC_FLOWS)
    deployments = [_deployment(flow, work_pool) for flow in flows]
    if programme_entries:
        for deployment in deployments:
            offer_choices(deployment, "programme_entry", programme_entries)
    return deployments


def _deployment(flow: Flow[Any, Any], work_pool: str | None) -> RunnerDeployment:
    deployment = flow.to_deployment(
        name=flow.name,
        description=DESCRIPTIONS[flow.name],
        tags=[TAG],
        entrypoint_type=EntrypointType.MODULE_PATH,
        work_pool_name=work_pool,
    )
    assert isinstance(deployment, RunnerDeployment)  # called synchronously
    return deployment


def offer_choices(deployment: RunnerDeployment, parameter: str, values: Sequence[str]) -> None:
    """Turn a text parameter into a choice list in the UI's Run form (and in validation:
    Prefect refuses a run whose value is not one of them before any flow starts)."""
    schema = deployment._parameter_openapi_schema  # Prefect builds it from type hints only
    field = schema.properties.get(parameter)
    if field is not None:
        field["enum"] = list(values)
