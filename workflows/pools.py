"""Scale-out: the deployments on a process work pool, which any number of workers serve.

Each worker polls the pool's queue and runs a flow run in a process of its own; the pool
hands a run to one worker only, and the engine's row lock and request keys make sure a run
that is retried still changes an audit once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists

from workflows.deployments import build_deployments

POOL_TYPE = "process"


def ensure_pool(name: str) -> None:
    # An earlier deploy may have made it already.
    with get_client(sync_client=True) as client, contextlib.suppress(ObjectAlreadyExists):
        client.create_work_pool(WorkPoolCreate(name=name, type=POOL_TYPE))


def deploy_to_pool(pool: str, programme_entries: Sequence[str]) -> list[str]:
    """Creates the pool if needed and registers every deployment on it; returns their names."""
    ensure_pool(pool)
    names = []
    for deployment in build_deployments(programme_entries, work_pool=pool):
        deployment.apply(work_pool_name=pool)
        names.append(deployment.name)
    return names
