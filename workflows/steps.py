"""What every flow is made of: one engine call in a task that retries only outages, and
the run's name and tags once the audit's reference is known.

Retries are on the task, and only for failures that may pass (a database or mail server
that is down, a writer that got there first). A rule the engine enforces (a blocked gate, a
trigger the state does not allow, a bad value) fails the run at once with the engine's own
sentence, because trying again would only be refused again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar
from uuid import UUID

from prefect import get_run_logger, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run
from prefect.states import Failed
from sqlalchemy.exc import InterfaceError, OperationalError

from states.errors import AuditEngineError
from states.services.deps import Deps

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


def label_run(name: str, *labels: str) -> None:
    """Renames the running flow and tags it, once the audit's reference is known."""
    run_id = flow_run.get_id()
    if run_id is None:
        return
    with get_client(sync_client=True) as client:
        current_tags = set(flow_run.get_tags())
        client.update_flow_run(UUID(run_id), name=name, tags=sorted(current_tags | {TAG, *labels}))


def via_prefect(deps: Deps) -> Deps:
    """The engine as this run sees it: each event it writes says it came through Prefect,
    and by which run, beside the operator it acts as."""
    return replace(deps, via=f"via Prefect (flow run {flow_run.get_id()})")


def audit_labels(reference: str, audit_type: str) -> tuple[str, str]:
    return f"audit:{reference}", f"type:{audit_type}"


def refused(exc: AuditEngineError) -> State[Any]:
    get_run_logger().warning("refused by the engine: %s", exc)
    return Failed(message=str(exc))
