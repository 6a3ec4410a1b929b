"""``oscp up``: the whole engine on one machine, one command, until Ctrl-C.

Starts, each in its own process: the local mail capture, Prefect's server and UI, the flows
(served here, or on a work pool with ``--workers``), the web app behind e-mailed links and
the worker that ticks the reminder sweep and the outbox relay as Prefect flows; prints where
everything is; and stops all of it on Ctrl-C or when any part stops.

A home set up with ``oscp init`` is served as it is: the partnership's own directory and
programme. A home that was not (the embedded default of a new checkout) is a demonstration:
the demo's own command module offers a ``Rehearsal`` that loads the demonstration
partnership, the 2025-28 programme and the showcase audits, so this module never imports
the demo.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from oscp_flow.cli.common import app, err, out, plain_errors

if TYPE_CHECKING:
    from oscp_flow.rehearsal.showcase import Shown
    from oscp_flow.settings import Settings
    from oscp_flow.supervisor import Supervisor
    from states.services.deps import Deps


@app.command("up")
def up(
    *,
    prefect_port: Annotated[int | None, typer.Option(help="Prefect UI and API port.")] = None,
    web_port: Annotated[int, typer.Option(help="Port of the web app (links).")] = 8000,
    smtp_port: Annotated[int | None, typer.Option(help="Port of the mail capture.")] = None,
    tick: Annotated[int, typer.Option(help="Seconds between reminder/relay ticks.")] = 60,
    workers: Annotated[
        int, typer.Option(help="Prefect process workers (0: serve the flows from one process).")
    ] = 0,
    demo: Annotated[
        bool | None,
        typer.Option(
            help="Load the demonstration partnership and audits (default: only in a home "
            "not set up with oscp init)."
        ),
    ] = None,
) -> None:
    """Run everything locally: Prefect UI, flows, web app, reminders and mail capture."""
    from oscp_flow.prefect_env import prefect_environment
    from oscp_flow.settings import Settings, home_settings_file
    from oscp_flow.supervisor import Supervisor

    with plain_errors():
        rehearsal = _rehearsal(demo, initialised=home_settings_file().exists())
        settings = _settings(Settings(), prefect_port, web_port, smtp_port, rehearsal)
        env = {**os.environ, **prefect_environment(settings), **_oscp_env(settings)}
        os.environ.update(env)  # this process starts flows too
        supervisor = Supervisor(settings.home / "logs", env)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        with plain_errors():
            _start_all(supervisor, settings, Plan(web_port, tick, workers, rehearsal))
        out.print("Everything is running. Ctrl-C stops it all.")
        while not stop.wait(1):
            stopped = supervisor.first_stopped()
            if stopped is not None:
                err.print(
                    f"[bold red]Error:[/] the {stopped.name} stopped; see {stopped.log}. "
                    "Stopping everything."
                )
                raise typer.Exit(1)
    finally:
        out.print("Stopping…")
        supervisor.stop()
        out.print("Stopped.")


@dataclass(frozen=True)
class Rehearsal:
    """What a demonstration adds to ``oscp up``: settings for its people, its directory and
    programme, and audits to show once everything runs."""

    settings: Callable[[Settings], dict[str, object]]
    prepare: Callable[[Deps], None]
    showcase: Callable[[Deps], list[Shown]]


# Filled by the demo's command module (``oscp_flow.cli.demo``) when the CLI is imported.
REHEARSALS: dict[str, Rehearsal] = {}


def _rehearsal(demo: bool | None, *, initialised: bool) -> Rehearsal | None:
    from states.errors import InvalidInput

    if demo is False or (demo is None and initialised):
        return None
    if initialised:
        raise InvalidInput(
            "This home belongs to a partnership set up with oscp init, so the demonstration "
            "will not be loaded into it; run it in a home of its own (another OSCP_HOME)."
        )
    return REHEARSALS["demo"]


def _settings(
    settings: Settings,
    prefect_port: int | None,
    web_port: int,
    smtp_port: int | None,
    rehearsal: Rehearsal | None,
) -> Settings:
    changes: dict[str, object] = {"base_url": f"http://127.0.0.1:{web_port}"}
    if rehearsal is not None:
        changes.update(rehearsal.settings(settings))
    if prefect_port is not None:
        changes["prefect_port"] = prefect_port
        changes["prefect_api_url"] = f"http://127.0.0.1:{prefect_port}/api"
    if smtp_port is not None:
        changes["smtp_port"] = smtp_port
    return settings.model_copy(update=changes)


def _oscp_env(settings: Settings) -> dict[str, str]:
    """The settings the children must share, whatever this process was given on its line."""
    env = {
        "OSCP_HOME": str(settings.home.resolve()),
        "OSCP_SMTP_PORT": str(settings.smtp_port),
        "OSCP_BASE_URL": settings.base_url,
        "OSCP_DATABASE_URL": settings.resolved_database_url,
        "PYTHONUNBUFFERED": "1",
    }
    if settings.calendar_coordinator and settings.calendar_lead:
        env["OSCP_CALENDAR_COORDINATOR"] = settings.calendar_coordinator
        env["OSCP_CALENDAR_LEAD"] = settings.calendar_lead
    if settings.prefect_database_url:
        env["OSCP_PREFECT_DATABASE_URL"] = settings.prefect_database_url
    return env


@dataclass(frozen=True)
class Plan:
    web_port: int
    tick: int
    workers: int
    rehearsal: Rehearsal | None


def _start_all(supervisor: Supervisor, settings: Settings, plan: Plan) -> None:
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from oscp_flow.prefect_auth import LOGIN_VARIABLES
    from oscp_flow.prefect_env import api_url
    from oscp_flow.supervisor import http_ok, port_open, require_free

    require_free(settings.prefect_port, "Prefect server", "--prefect-port")
    require_free(plan.web_port, "web app", "--web-port")
    require_free(settings.smtp_port, "mail capture", "--smtp-port")
    me = [sys.executable, "-m", "oscp_flow"]
    prefect = [sys.executable, "-m", "prefect"]
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=out) as progress:
        step = progress.add_task("Preparing the engine's database", total=None)
        deps = _prepare(settings, plan.rehearsal)
        progress.update(step, description="Starting the mail capture")
        mail = supervisor.start("mail-capture", [*me, "mail", "serve"], hide=LOGIN_VARIABLES)
        supervisor.wait_until(mail, port_open(settings.smtp_port), timeout=30, what="mail capture")
        progress.update(step, description="Starting Prefect's server (first start: ~20 s)")
        server = supervisor.start("prefect-server", [*prefect, "server", "start"])
        supervisor.wait_until(
            server, http_ok(f"{api_url(settings)}/health"), timeout=180, what="Prefect server"
        )
        progress.update(step, description="Starting the flows, the web app and the worker")
        _start_flows(supervisor, me, plan.workers)
        web = supervisor.start(
            "web", [*me, "web", "--port", str(plan.web_port)], hide=LOGIN_VARIABLES
        )
        supervisor.start("worker", [*me, "worker", "--interval", str(plan.tick)])
        supervisor.wait_until(
            web, http_ok(f"http://127.0.0.1:{plan.web_port}/healthz"), timeout=60, what="web app"
        )
        shown: list[Shown] = []
        if plan.rehearsal is not None:
            progress.update(step, description="Starting the showcase audits through Prefect")
            shown = plan.rehearsal.showcase(deps)
    _print_where(settings, plan, shown)


def _prepare(settings: Settings, rehearsal: Rehearsal | None) -> Deps:
    from oscp_flow.wiring import build

    deps = build(settings)
    if rehearsal is not None:
        rehearsal.prepare(deps)
    return deps


def _start_flows(supervisor: Supervisor, me: list[str], workers: int) -> None:
    if workers == 0:
        from workflows.launch import deployments_registered

        flows = supervisor.start("flows", [*me, "flows", "serve"])
        # The showcase starts runs at once; the runner must have registered every deployment.
        supervisor.wait_until(flows, deployments_registered, timeout=120, what="flow runner")
        return
    deploy = supervisor.start("deploy", [*me, "flows", "deploy"])
    if deploy.process.wait(timeout=120) != 0:
        from oscp_flow.supervisor import StartFailed

        raise StartFailed(f"The deployments could not be registered; see {deploy.log}.")
    supervisor.children.remove(deploy)
    for number in range(1, workers + 1):
        name = f"prefect-worker-{number}"
        supervisor.start(name, [*me, "flows", "worker", "--name", name])


def _print_where(settings: Settings, plan: Plan, shown: list[Shown]) -> None:
    from oscp_flow.prefect_auth import sign_in_hint
    from oscp_flow.prefect_env import api_url

    where = Table(title="OSCP audit engine", show_header=False)
    where.add_row("Prefect UI", api_url(settings).removesuffix("/api"))
    where.add_row(
        "Prefect runs act as", settings.prefect_operator or "nobody: set OSCP_PREFECT_OPERATOR"
    )
    where.add_row("Web app (links)", f"http://127.0.0.1:{plan.web_port}")
    where.add_row("Mail capture", f"SMTP 127.0.0.1:{settings.smtp_port}; read: oscp mail list")
    where.add_row("Engine database", settings.resolved_database_url)
    flows = f"{plan.workers} process worker(s)" if plan.workers else "served by one process"
    where.add_row("Flows", flows)
    where.add_row("Reminder tick", f"every {plan.tick} s")
    where.add_row("Logs", str(settings.home / "logs"))
    out.print(where)
    # Below the table, unwrapped: a path cut short by the table's width cannot be followed.
    hint = f"Prefect UI sign-in: {sign_in_hint(settings)}"
    out.print(hint, soft_wrap=True, markup=False, highlight=False)
    for item in shown:
        out.print(f"  {item.reference}  {item.audit_type:<12} {item.what}")
