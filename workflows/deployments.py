"""Deployments of the flows: what people start from the Prefect UI, and no schedules.

APScheduler is the one clock (DESIGN.md decision 5), so no deployment carries a schedule;
the periodic flows are deployed too only so a coordinator can run a sweep or the relay now.
Entry points are module paths: the engine is installed, so a worker imports the flows as
the project does instead of reading files from a path that may differ between machines.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Annotated, Any

from prefect import Flow
from prefect.deployments.runner import RunnerDeployment
from prefect.types.entrypoint import EntrypointType
from pydantic import Field

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
    "generate-report": "The frozen summary report's version and hash (submitting froze it).",
    "disseminate": "Make a signed-off report's products (briefing, letters) and record sharing it.",
    "reminder-sweep": "Queue every reminder and escalation now due (the worker runs this).",
    "outbox-relay": "Send the e-mails that are due (the worker runs this).",
    "partnership-calendar": (
        "Start the programme's recurring work whose time has come (effectiveness report, "
        "training impact, programme review), if not yet started (the worker runs this)."
    ),
}


def build_deployments(
    programme_entries: Sequence[str], *, work_pool: str | None = None
) -> list[RunnerDeployment]:
    """One deployment per flow, named as the flow; ``programme_entry`` is a choice list of
    the loaded programme's keys (with none loaded, any key of the right shape is asked for,
    and the engine refuses one it does not know)."""
    flows: tuple[Flow[Any, Any], ...] = (*PEOPLE_FLOWS, *REPORT_FLOWS, *PERIODIC_FLOWS)
    if programme_entries:
        flows = tuple(offer_choices(flow, "programme_entry", programme_entries) for flow in flows)
    return [_deployment(flow, work_pool) for flow in flows]


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


def offer_choices(flow: Flow[Any, Any], parameter: str, values: Sequence[str]) -> Flow[Any, Any]:
    """The flow as a deployment should describe it, with a text parameter turned into a choice
    list in the UI's Run form (and in validation: Prefect refuses a run whose value is not one
    of them before any flow starts).

    Prefect builds a deployment's parameter schema from the flow's signature, as
    ``inspect.signature`` reads it; so the copy carries a ``__signature__`` whose annotation
    adds the choices to the declared type and keeps its shape. The copy only describes: a
    run imports the flow by its module path and runs the flow itself."""
    signature = inspect.signature(flow, eval_str=True)
    declared = signature.parameters.get(parameter)
    if declared is None:
        return flow
    offered = declared.replace(
        annotation=Annotated[declared.annotation, Field(json_schema_extra={"enum": list(values)})]
    )
    described = flow.with_options()
    # The protocol inspect.signature documents for an object that says its own signature.
    described.__dict__["__signature__"] = signature.replace(
        parameters=[offered if p.name == parameter else p for p in signature.parameters.values()]
    )
    return described
