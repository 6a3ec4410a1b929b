"""What the engine adds to a Prefect flow run, and what ``oscp --help`` costs to start.

Run: ``python -m bench.prefect_overhead [--runs 15]``

1. An audit step as a Prefect flow (``advance-audit``: one task that checks the operator,
   loads the audit, checks its gates, moves it and commits to SQLite, then names and tags
   the run; here a Section 175 audit's ``issue_tool``) against a bare
   flow of the same shape (one task doing nothing, the same renaming and tagging), run
   alternately against one Prefect test server. Prints medians and ``ratio: X`` (the goal is
   at most 1.3: the engine's own work should vanish in Prefect's per-run cost).
2. ``oscp --help`` in a fresh interpreter against ``python -c "import typer"``, best of 7,
   and whether Prefect was imported (it must not be).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from prefect import flow
from prefect.testing.utilities import prefect_test_harness

from oscp_flow.rehearsal.demo import email, load_demo_partnership
from oscp_flow.settings import Settings
from states.clock import SystemClock
from states.persistence.db import make_engine
from states.persistence.migrate import upgrade
from states.persistence.uow import UnitOfWorkFactory
from states.rules.catalogue import Catalogue
from states.services import audits
from states.services.deps import Deps
from workflows import flows, runtime, steps

ROOT = Path(__file__).resolve().parent.parent


@flow(name="bare-step", persist_result=False, log_prints=False)
def bare_step(*, reference: str, trigger: str) -> dict[str, Any]:
    """The same shape as advance-audit with no engine behind it."""
    result: dict[str, Any] = steps.engine_call(lambda: {"reference": reference, "state": trigger})
    steps.label_run(f"{trigger} {reference}", *steps.audit_labels(reference, "section_175"))
    return result


def _deps(folder: Path) -> Deps:
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    upgrade(engine)
    catalogue = Catalogue.from_directory(ROOT / "definitions" / "audit_types")
    deps = Deps(uow=UnitOfWorkFactory(engine), catalogue=catalogue, clock=SystemClock())
    load_demo_partnership(deps)
    return deps


class _NoMail:
    """The measured steps send no mail; a runtime still names a mailer."""

    def send(self, message: EmailMessage) -> None:
        raise AssertionError("a measured step tried to send mail")


def _timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def flow_overhead(runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder, prefect_test_harness(server_startup_timeout=180):
        deps = _deps(Path(folder))
        installed = runtime.Runtime(
            deps=deps,
            mailer=_NoMail(),
            relay_config=Settings(home=Path(folder)),
            operator=email("coordinator"),
        )
        runtime.install(installed)
        engine_times, bare_times = [], []
        for n in range(runs + 1):  # the first pair warms both up and is not counted
            reference = audits.start_audit(
                deps,
                audit_type="section_175",
                theme="Benchmark",
                lead=email("chair"),
                actor=email("coordinator"),
            ).reference
            engine = _timed(
                lambda r=reference: flows.advance_audit_flow(reference=r, trigger="issue_tool")
            )
            bare = _timed(lambda r=reference: bare_step(reference=r, trigger="issue_tool"))
            if n:
                engine_times.append(engine)
                bare_times.append(bare)
    engine_median, bare_median = statistics.median(engine_times), statistics.median(bare_times)
    print(f"audit step as a flow: median {engine_median * 1000:.0f} ms over {runs} runs")
    print(f"bare flow, same shape: median {bare_median * 1000:.0f} ms over {runs} runs")
    print(f"ratio: {engine_median / bare_median:.2f}")


def cold_start(repeats: int = 7) -> None:
    def best(argv: list[str]) -> float:
        return min(
            _timed(lambda: subprocess.run(argv, check=True, capture_output=True))
            for _ in range(repeats)
        )

    python = sys.executable
    helped = best([python, "-m", "oscp_flow", "--help"])
    typer_only = best([python, "-c", "import typer"])
    # Typer renders help with Rich, which ``import typer`` alone does not load: a one-command
    # app's --help is the floor any Typer CLI pays.
    bare_app = (
        "import typer; app = typer.Typer(); app.command()(lambda: None); "
        "app(['--help'], standalone_mode=False)"
    )
    typer_help = best([python, "-c", bare_app])
    probe = (
        "import sys; from typer.testing import CliRunner; from oscp_flow.cli import app; "
        "CliRunner().invoke(app, ['--help']); print('prefect' in sys.modules)"
    )
    imported = subprocess.run(
        [python, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.strip()
    print(
        f"oscp --help: {helped * 1000:.0f} ms; python -c 'import typer': {typer_only * 1000:.0f} ms"
    )
    print(f"one-command Typer app --help: {typer_help * 1000:.0f} ms")
    print(f"cold start ratio vs import typer: {helped / typer_only:.2f}")
    print(f"cold start ratio vs a bare Typer --help: {helped / typer_help:.2f}")
    print(f"Prefect imported by oscp --help: {imported}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    flow_overhead(args.runs)
    cold_start()


if __name__ == "__main__":
    main()
