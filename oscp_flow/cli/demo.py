"""``oscp demo``: the demonstration partnership and one rehearsed cycle of every audit type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.progress import Progress
from rich.table import Table

from oscp_flow.cli.common import app, out, run_action
from oscp_flow.cli.up import REHEARSALS, Rehearsal

if TYPE_CHECKING:
    from oscp_flow.rehearsal.showcase import Shown
    from oscp_flow.settings import Settings
    from states.services.deps import Deps

THEMES = {
    "mace": "Domestic abuse",
    "dip_sample": "Partner agency engagement with core groups",
    "single_agency_exception": "Exception reported from a single-agency audit",
    "section_11": "Section 11 self-assessment",
    "section_175": "Section 175/157 self-assessment",
    "training_impact": "Neglect training (GCP2) impact",
    "deep_dive": "CAMHS waiting times",
    "effectiveness_report": "What difference are we making (quarterly)",
    "benchmarking": "Serious youth violence",
    "scrutiny_audit": "Child emotional health and wellbeing",
}


@app.command("demo")
def demo() -> None:
    """Load the demo partnership and rehearse a whole cycle of every audit type."""
    run_action(_demo)


def _demo(deps: Deps) -> None:
    from oscp_flow.rehearsal.demo import email, load_demo_partnership
    from oscp_flow.rehearsal.walkthrough import Walker
    from states.clock import LONDON
    from states.definitions.graph import main_path
    from states.services import audits

    if load_demo_partnership(deps):
        out.print("Loaded the demonstration partnership (fictional people at example.org).")
    today = deps.clock.now().astimezone(LONDON).date()
    summary = Table(title="Rehearsed audit cycles")
    for column in ("type", "reference", "transitions", "final state"):
        summary.add_column(column)
    plans = []
    for audit_type in deps.catalogue.audit_types:
        definition = deps.catalogue.current(audit_type).definition
        plans.append((audit_type, definition, len(main_path(definition, definition.initial_state))))
    with Progress(console=out, transient=True) as progress:
        task = progress.add_task("Rehearsing audit cycles", total=sum(n for *_, n in plans))
        for audit_type, definition, _steps in plans:
            started = audits.start_audit(
                deps,
                audit_type=audit_type,
                theme=THEMES.get(audit_type, audit_type),
                lead=email("chair"),
                actor=email("coordinator"),
                started_on=today,
            )
            last, steps = started, 0
            for fired in Walker(deps, started.reference, today).walk(definition):
                last, steps = fired, steps + 1
                progress.advance(task)
            summary.add_row(audit_type, started.reference, str(steps), last.to_state)
    out.print(summary)
    _deliver_to_local_capture(deps)
    out.print("See one with: oscp audit history REFERENCE, or oscp audit list.")


def _deliver_to_local_capture(deps: Deps) -> None:
    """Send what the rehearsals queued into the local mail capture, so a newcomer can read
    the e-mails at once; skipped when a real SMTP server is configured."""
    from notifications.capture import mail_dir, start_capture
    from oscp_flow.cli.worker import mailer_and_tick
    from oscp_flow.settings import Settings

    settings = Settings()
    if settings.smtp_host not in ("127.0.0.1", "localhost"):
        out.print("A real SMTP server is configured: run 'oscp worker' to send the e-mails.")
        return
    try:
        controller = start_capture(settings.home, port=settings.smtp_port)
    except OSError:
        out.print("A mail capture is already listening: run 'oscp worker --once' to send to it.")
        return
    try:
        result = mailer_and_tick(deps)()
    finally:
        controller.stop()
    out.print(
        f"{result.relay.sent} e-mail(s) captured in {mail_dir(settings.home)}: "
        "read them with 'oscp mail list' and 'oscp mail show N'."
    )


# --- what `oscp up` adds when it serves the demonstration -----------------------------------


def _up_settings(settings: Settings) -> dict[str, object]:
    from oscp_flow.rehearsal.demo import email

    changes: dict[str, object] = {}
    if not (settings.calendar_coordinator and settings.calendar_lead):
        # The demo's coordinator starts the programme's recurring work (the quarterly report,
        # the annual training-impact audit and programme review); its chair writes them.
        changes.update(calendar_coordinator=email("coordinator"), calendar_lead=email("chair"))
    if not settings.prefect_operator:
        # Runs started from the Prefect UI act as the demo's coordinator.
        changes["prefect_operator"] = email("coordinator")
    return changes


def _up_prepare(deps: Deps) -> None:
    import os

    from oscp_flow.rehearsal.demo import (
        DEMO_PASSWORD_ENV,
        give_demo_passwords,
        load_demo_partnership,
    )
    from oscp_flow.settings import PROJECT_ROOT
    from states.services.programme import load_programme

    load_demo_partnership(deps)
    load_programme(deps, PROJECT_ROOT / "definitions" / "programme" / "oscp-2025-28.yaml")
    # Coordinator pages need a sign-in; the demo's coordinator and chair get this password.
    give_demo_passwords(deps, os.environ.get(DEMO_PASSWORD_ENV))


def _up_showcase(deps: Deps) -> list[Shown]:
    from oscp_flow.rehearsal import showcase
    from states.services import queries
    from workflows.launch import run_and_wait, start_audit_through_prefect

    if queries.has_audits(deps):
        return []
    shown = showcase.seed(deps, start_audit_through_prefect)
    # One sweep and one relay now, so the reminders and e-mails are there at once.
    run_and_wait("reminder-sweep/reminder-sweep", {})
    run_and_wait("outbox-relay/outbox-relay", {})
    return shown


REHEARSALS["demo"] = Rehearsal(settings=_up_settings, prepare=_up_prepare, showcase=_up_showcase)
