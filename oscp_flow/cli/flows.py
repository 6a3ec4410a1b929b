"""``oscp flows``: serve the Prefect deployments, or put them on a work pool for workers.

Everything here sets Prefect's environment (``oscp_flow.prefect_env``) before Prefect is
imported, so each process talks to the configured server and nothing else.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from oscp_flow.cli.common import app, out, plain_errors

flows_app = typer.Typer(no_args_is_help=True, help="Run the Prefect flows people start.")
app.add_typer(flows_app, name="flows")

Pool = Annotated[
    str | None, typer.Option(help="Process work pool (default: OSCP_PREFECT_WORK_POOL, oscp).")
]


def _programme_entries() -> list[str]:
    """The loaded programme's keys in plan order: the start form's choice list."""
    from oscp_flow.settings import Settings
    from oscp_flow.wiring import build
    from states.services.programme import list_entries

    deps = build(Settings())
    try:
        return list(dict.fromkeys(entry.key for entry in list_entries(deps)))
    finally:
        deps.uow.engine.dispose()


@flows_app.command("serve")
def flows_serve(
    limit: Annotated[int, typer.Option(help="Flow runs at once in this process.")] = 4,
) -> None:
    """Serve the deployments from this process until Ctrl-C (the embedded default)."""
    from oscp_flow.prefect_env import prefect_environment
    from oscp_flow.settings import Settings

    with plain_errors():
        settings = Settings()
        os.environ.update(prefect_environment(settings))
        entries = _programme_entries()
    from prefect import serve

    from workflows.deployments import build_deployments

    # Deployments stay runnable when this process stops: `oscp up` may start again later.
    serve(
        *build_deployments(entries),
        limit=limit,
        print_starting_message=False,
        pause_on_shutdown=False,
    )


@flows_app.command("deploy")
def flows_deploy(pool: Pool = None) -> None:
    """Register the deployments on a process work pool, for `oscp flows worker` to run."""
    from oscp_flow.prefect_env import prefect_environment
    from oscp_flow.settings import Settings

    with plain_errors():
        settings = Settings()
        os.environ.update(prefect_environment(settings))
        name = pool or settings.prefect_work_pool
        entries = _programme_entries()
    from workflows.pools import deploy_to_pool

    with plain_errors():
        names = deploy_to_pool(name, entries)
    out.print(f"{len(names)} deployment(s) on work pool '{name}': {', '.join(names)}.")


@flows_app.command("worker")
def flows_worker(
    pool: Pool = None,
    name: Annotated[str | None, typer.Option(help="Worker name shown in the UI.")] = None,
    limit: Annotated[int | None, typer.Option(help="Flow runs at once in this worker.")] = None,
) -> None:
    """Take flow runs from the work pool until Ctrl-C; start as many as the load needs."""
    from oscp_flow.prefect_env import prefect_environment
    from oscp_flow.settings import Settings

    with plain_errors():
        settings = Settings()
        env = {**os.environ, **prefect_environment(settings)}
    prefect = str(Path(sys.executable).with_name("prefect"))
    argv = [prefect, "worker", "start", "--pool", pool or settings.prefect_work_pool]
    argv += ["--type", "process"] + (["--name", name] if name else [])
    argv += ["--limit", str(limit)] if limit else []
    os.execve(prefect, argv, env)  # noqa: S606  (the worker replaces this process)
