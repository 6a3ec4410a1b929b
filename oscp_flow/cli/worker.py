"""``oscp worker``: the one process that ticks the periodic work (sweep and relay)."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oscp_flow.cli.common import app, out, run_action

if TYPE_CHECKING:
    from oscp_flow.settings import Settings
    from states.services.deps import Deps
    from workflows.tick import TickResult


def mailer_and_tick(deps: Deps) -> Any:
    from oscp_flow.settings import Settings
    from oscp_flow.wiring import calendar_people, mailer
    from workflows.tick import tick

    settings = Settings()
    smtp = mailer(settings)
    if settings.prefect_api_url:
        return _as_flows(deps, smtp, settings)
    calendar = calendar_people(settings)
    return lambda: tick(deps, smtp, settings, calendar)


def _as_flows(deps: Deps, smtp: Any, settings: Settings) -> Any:
    """With a Prefect server configured, each part of a tick that has something due is a
    flow run the UI shows (and a quiet hour one heartbeat run)."""
    import os

    from oscp_flow.prefect_env import prefect_environment
    from oscp_flow.wiring import calendar_people
    from workflows.runtime import Runtime
    from workflows.tick import tick_as_flows

    os.environ.update(prefect_environment(settings))
    runtime = Runtime(
        deps=deps,
        mailer=smtp,
        relay_config=settings,
        operator=settings.prefect_operator,
        calendar=calendar_people(settings),
    )
    return lambda: tick_as_flows(runtime)


def _report(result: TickResult) -> str:
    return (
        f"{result.sweep.rungs} reminder rung(s) due, {result.sweep.messages} message(s) queued; "
        f"{result.relay.sent} sent, {result.relay.deferred} deferred, {result.relay.failed} failed."
        + (f" Calendar audits: {', '.join(result.started)}." if result.started else "")
    )


@app.command("worker")
def worker(
    interval: Annotated[int, typer.Option(help="Seconds between ticks.")] = 300,
    once: Annotated[
        bool, typer.Option(help="Run one tick now (if no other worker leads).")
    ] = False,
) -> None:
    """Tick the reminder sweep and the outbox relay; only one worker per deployment leads."""
    from oscp_flow.settings import Settings, load
    from workflows.worker import Worker, run_once, worker_lease

    def action(deps: Deps) -> None:
        settings = load(Settings)
        renew = timedelta(seconds=settings.worker_renew_seconds)
        lease_for = timedelta(seconds=settings.worker_lease_seconds)
        lease = worker_lease(deps.uow, deps.clock, duration=lease_for)
        run = mailer_and_tick(deps)
        if once:
            result = run_once(lease, run, renew_every=renew)
            if result is None:
                out.print(f"Another worker leads ({lease.holder_now()}); nothing done.")
            else:
                out.print(_report(result))
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        out.print(
            f"Worker started ({lease.holder}): ticking every {interval} s while it holds the "
            f"lease, renewed every {renew.total_seconds():g} s and lapsing after "
            f"{lease_for.total_seconds():g} s. Ctrl-C stops it."
        )

        def ticked() -> None:
            out.print(_report(run()))

        def say(sentence: str) -> None:
            out.print(sentence, highlight=False, soft_wrap=True)

        Worker(
            lease, deps.uow.engine, ticked, timedelta(seconds=interval), renew_every=renew, say=say
        ).run(stop)
        out.print("Worker stopped.")

    run_action(action)
