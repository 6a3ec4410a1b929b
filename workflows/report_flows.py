"""Flows for the end of an audit: freeze the summary report, and share what was signed off.

Each is a thin wrapper over ``notifications.publishing`` and the dissemination service, made
of the same steps as the other flows (``workflows.steps``), acting as the operator.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run

from notifications.publishing import make_products
from states.errors import AuditEngineError
from states.services.dissemination import record_dissemination
from states.services.freezing import freeze_summary
from states.services.letters import send_feedback_letters
from states.services.operator import require_operator
from states.services.queries import audit_type_of
from states.services.report_store import SUMMARY
from workflows.parameters import Audience, Channel, Reference
from workflows.runtime import current
from workflows.steps import audit_labels, engine_call, label_run, refused, via_prefect


@flow(
    name="generate-report",
    flow_run_name="report {reference}",
    persist_result=False,
    log_prints=False,
)
def generate_report_flow(*, reference: Reference) -> dict[str, Any] | State[Any]:
    """The audit's frozen summary report: its version and hash. Submitting the report for
    sign-off freezes it; for an audit submitted before that, this freezes it as it stands,
    as the operator. The chair's narrative is written beforehand (`oscp report draft`).

    Args:
        reference: The audit's reference.
    """
    runtime = current()
    deps = via_prefect(runtime.deps)
    try:
        operator = runtime.configured_operator()
        stored = engine_call(
            lambda: freeze_summary(deps, audit=reference, actor=require_operator(deps, operator))
        ).report
        audit_type = audit_type_of(deps, audit=reference)
    except AuditEngineError as exc:
        if not exc.retryable:
            label_run(f"report {reference} (refused)", f"audit:{reference}")
            return refused(exc)
        raise
    label_run(f"report {reference} v{stored.version}", *audit_labels(reference, audit_type))
    get_run_logger().info("audit %s: summary report v%d frozen", reference, stored.version)
    return {"reference": reference, "version": stored.version, "hash": stored.content_hash}


@flow(
    name="disseminate",
    flow_run_name="disseminate {reference}",
    persist_result=False,
    log_prints=False,
)
def disseminate_flow(
    *, reference: Reference, audience: Audience, channel: Channel
) -> dict[str, Any] | State[Any]:
    """Make the signed-off report's products (7-minute briefing, learning on a page, and for
    Section 175 a letter to each sampled setting and the summary to all settings) and record
    that the summary report was shared; each sampled setting's audit leads are e-mailed a link
    to its own letter, and every setting's to the summary to all (once: a rerun sends none).
    It acts as the operator.

    Args:
        reference: The audit's reference.
        audience: Who received it.
        channel: learning_hub, website or email.
    """
    runtime = current()
    deps = via_prefect(runtime.deps)
    try:
        operator = runtime.configured_operator()
        actor = engine_call(lambda: require_operator(deps, operator))
        products = engine_call(lambda: make_products(deps, audit=reference, actor=actor))
        recorded = engine_call(
            lambda: record_dissemination(
                deps,
                audit=reference,
                actor=actor,
                kind=SUMMARY,
                audience=audience,
                channel=channel,
                request_key=flow_run.get_id(),
            )
        )
        letters = 0
        if any(p.kind == "feedback_letter" for p in products):
            sent = engine_call(lambda: send_feedback_letters(deps, audit=reference, actor=actor))
            letters = sent.letters
        audit_type = audit_type_of(deps, audit=reference)
    except AuditEngineError as exc:
        if not exc.retryable:
            label_run(f"disseminate {reference} (refused)", f"audit:{reference}")
            return refused(exc)
        raise
    label_run(f"disseminate {reference}", *audit_labels(reference, audit_type))
    return {
        "reference": reference,
        "products": len(products),
        "dissemination": recorded,
        "letters_sent": letters,
    }


REPORT_FLOWS = (generate_report_flow, disseminate_flow)
