"""The Prefect flows: each one service call, named and tagged so the UI shows an audit's story.

The engine's database is the truth about an audit; a flow run is a short, attributable
request to change it (DESIGN.md decision 1): nothing waits inside a flow for a person.

Retries are on the one task inside each flow, and only for failures that may pass (a
database or mail server that is down, a writer that got there first). A rule the engine
enforces (a blocked gate, a trigger the state does not allow, a bad value) fails the run at
once with the engine's own sentence, because trying again would only be refused again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from prefect import flow, get_run_logger, tags, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run
from prefect.states import Failed
from sqlalchemy.exc import InterfaceError, OperationalError

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

T = TypeVar("T")

RETRIES = 3
RETRY_DELAYS: list[float] = [5, 30, 120]
TAG = "oscp"


def is_transient(exc: BaseException) -> bool:
    """Worth another try: the engine said so, or a connection failed under us."""
    if isinstance(exc, AuditEngineError):
        return exc.retryable
    return isinstance(exc, OperationalError | InterfaceError | ConnectionError | TimeoutError)


def _retry_when_transient(_task: Any, _task_run: Any, state: State[Any]) -> bool:
    try:
        state.result()
    except BaseException as exc:  # the task's own exception, re-raised by result()
        return is_transient(exc)
    return False


@task(
    name="engine-step",
    task_run_name="engine-step",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=_retry_when_transient,
    persist_result=False,
)
def engine_call(call: Callable[[], T]) -> T:
    """Runs one service call; its result is small and is never written to Prefect's storage."""
    return call()


def _label_run(name: str, *labels: str) -> None:
    """Renames the running flow and tags it, once the audit's reference is known."""
    run_id = flow_run.get_id()
    if run_id is None:
        return
    with get_client(sync_client=True) as client:
        current_tags = set(flow_run.get_tags())
        client.update_flow_run(UUID(run_id), name=name, tags=sorted(current_tags | {TAG, *labels}))


def audit_labels(reference: str, audit_type: str) -> tuple[str, str]:
    return f"audit:{reference}", f"type:{audit_type}"


def _refused(exc: AuditEngineError) -> State[Any]:
    get_run_logger().warning("refused by the engine: %s", exc)
    return Failed(message=str(exc))


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
            return _refused(exc)
        raise
    _label_run(f"start {audit_type} {fired.reference}", *audit_labels(fired.reference, audit_type))
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
            _label_run(f"{trigger} {reference} (refused)", f"audit:{reference}")
            return _refused(exc)
        raise
    audit_type = audit_type_of(runtime.deps, audit=reference)
    _label_run(f"{trigger} {reference}", *audit_labels(reference, audit_type))
    get_run_logger().info("audit %s: %s -> %s", reference, fired.from_state, fired.to_state)
    return {"reference": reference, "state": fired.to_state, "version": fired.version}


@flow(name="reminder-sweep", persist_result=False, log_prints=False)
def reminder_sweep_flow() -> dict[str, int]:
    """Turn every reminder rung now due into messages, once each, however late this runs."""
    with tags(TAG):
        result = engine_call(lambda: sweep(current().deps))
    get_run_logger().info("%d rung(s) due, %d message(s) queued", result.rungs, result.messages)
    return {"rungs": result.rungs, "messages": result.messages}


@flow(name="outbox-relay", persist_result=False, log_prints=False)
def outbox_relay_flow() -> dict[str, int]:
    """Send the messages that are due; a mail server that is down defers them, not loses them."""
    runtime = current()
    result = engine_call(lambda: relay(runtime.deps, runtime.mailer, config=runtime.relay_config))
    get_run_logger().info(
        "%d sent, %d deferred, %d failed", result.sent, result.deferred, result.failed
    )
    return {"sent": result.sent, "deferred": result.deferred, "failed": result.failed}


@flow(name="partnership-calendar", persist_result=False, log_prints=False)
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
            return _refused(exc)
        raise
    labels = (
        *audit_labels(report.reference, QUARTERLY_REPORT),
        *audit_labels(review.reference, PROGRAMME_REVIEW),
    )
    _label_run(f"calendar {report.reference} {review.reference}", *labels)
    return {"quarterly_report": report.reference, "programme_review": review.reference}


PEOPLE_FLOWS = (start_audit_flow, advance_audit_flow)
PERIODIC_FLOWS = (reminder_sweep_flow, outbox_relay_flow, calendar_flow)
