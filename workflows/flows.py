"""The Prefect flows: each one service call, named and tagged so the UI shows an audit's story.

The engine's database is the truth about an audit; a flow run is a short, attributable
request to change it (DESIGN.md decision 1): nothing waits inside a flow for a person.

Each is made of the same steps (``workflows.steps``): one engine call that retries only
outages, then the run named and tagged by the audit it touched.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run

from notifications.relay import relay
from states.errors import AuditEngineError
from states.services.audits import fire, start_audit
from states.services.queries import audit_type_of
from states.services.recurring import (
    PROGRAMME_REVIEW,
    QUARTERLY_REPORT,
    ensure_programme_review,
    ensure_quarterly_report,
)
from states.services.sweep import sweep
from workflows.runtime import current
from workflows.steps import audit_labels, engine_call, label_run, refused


@flow(
    name="start-audit",
    flow_run_name="start {audit_type}",
    persist_result=False,
    log_prints=False,
)
def start_audit_flow(
    *,
    audit_type: str,
    theme: str,
    lead: str,
    coordinator: str,
    agencies: list[str] | None = None,
    started_on: date | None = None,
) -> dict[str, Any] | State[Any]:
    """Start an audit from the programme. Write no child's or family's details here.

    Args:
        audit_type: The kind of audit, from the partnership's definitions.
        theme: The theme, as the programme names it (e.g. "Neglect").
        lead: E-mail of the learning hub member who chairs the audit and writes the report.
        coordinator: E-mail of the coordinator starting it.
        agencies: Codes of the agencies invited to take part (e.g. "police", "csc").
        started_on: The start date, if not today (London).
    """
    key = flow_run.get_id()
    runtime = current()
    try:
        fired = engine_call(
            lambda: start_audit(
                runtime.deps,
                audit_type=audit_type,
                theme=theme,
                lead=lead,
                actor=coordinator,
                agencies=tuple(agencies or ()),
                started_on=started_on,
                request_key=key,
            )
        )
    except AuditEngineError as exc:
        if not exc.retryable:
            return refused(exc)
        raise
    label_run(f"start {audit_type} {fired.reference}", *audit_labels(fired.reference, audit_type))
    get_run_logger().info("audit %s started in state %s", fired.reference, fired.to_state)
    return {"reference": fired.reference, "state": fired.to_state, "version": fired.version}


@flow(
    name="advance-audit",
    flow_run_name="{trigger} {reference}",
    persist_result=False,
    log_prints=False,
)
def advance_audit_flow(
    *, reference: str, trigger: str, actor: str, reason: str | None = None
) -> dict[str, Any] | State[Any]:
    """Move an audit on. Every gate is checked as anywhere else; a blocked gate fails the run
    and says why.

    Args:
        reference: The audit's reference (e.g. AUD-7K2M9QXP).
        trigger: What is happening, as the audit's definition names it (e.g. "open_returns").
        actor: E-mail of the person acting; their role must allow the trigger.
        reason: Why, where the definition asks for one. No child's or family's details.
    """
    runtime = current()
    try:
        fired = engine_call(
            lambda: fire(runtime.deps, audit=reference, trigger=trigger, actor=actor, reason=reason)
        )
    except AuditEngineError as exc:
        if not exc.retryable:
            label_run(f"{trigger} {reference} (refused)", f"audit:{reference}")
            return refused(exc)
        raise
    audit_type = audit_type_of(runtime.deps, audit=reference)
    label_run(f"{trigger} {reference}", *audit_labels(reference, audit_type))
    get_run_logger().info("audit %s: %s -> %s", reference, fired.from_state, fired.to_state)
    return {"reference": reference, "state": fired.to_state, "version": fired.version}


@flow(name="reminder-sweep", flow_run_name="reminder sweep", persist_result=False, log_prints=False)
def reminder_sweep_flow() -> dict[str, int]:
    """Turn every reminder rung now due into messages, once each, however late this runs."""
    result = engine_call(lambda: sweep(current().deps))
    get_run_logger().info("%d rung(s) due, %d message(s) queued", result.rungs, result.messages)
    return {"rungs": result.rungs, "messages": result.messages}


@flow(name="outbox-relay", flow_run_name="outbox relay", persist_result=False, log_prints=False)
def outbox_relay_flow() -> dict[str, int]:
    """Send the messages that are due; a mail server that is down defers them, not loses them."""
    runtime = current()
    result = engine_call(lambda: relay(runtime.deps, runtime.mailer, config=runtime.relay_config))
    get_run_logger().info(
        "%d sent, %d deferred, %d failed", result.sent, result.deferred, result.failed
    )
    return {"sent": result.sent, "deferred": result.deferred, "failed": result.failed}


@flow(
    name="partnership-calendar",
    flow_run_name="partnership calendar",
    persist_result=False,
    log_prints=False,
)
def calendar_flow(*, coordinator: str, lead: str) -> dict[str, str] | State[Any]:
    """Start this quarter's safeguarding effectiveness report and this year's review of the
    audit programme, each unless it is started already.

    Args:
        coordinator: E-mail of the coordinator in whose name they start.
        lead: E-mail of their author.
    """
    runtime = current()
    people = {"coordinator": coordinator, "lead": lead}
    try:
        report = engine_call(lambda: ensure_quarterly_report(runtime.deps, **people))
        review = engine_call(lambda: ensure_programme_review(runtime.deps, **people))
    except AuditEngineError as exc:
        if not exc.retryable:
            return refused(exc)
        raise
    labels = (
        *audit_labels(report.reference, QUARTERLY_REPORT),
        *audit_labels(review.reference, PROGRAMME_REVIEW),
    )
    label_run(f"calendar {report.reference} {review.reference}", *labels)
    return {"quarterly_report": report.reference, "programme_review": review.reference}


PEOPLE_FLOWS = (start_audit_flow, advance_audit_flow)
PERIODIC_FLOWS = (reminder_sweep_flow, outbox_relay_flow, calendar_flow)
