"""The Prefect flows: each one service call, named and tagged so the UI shows an audit's story.

The engine's database is the truth about an audit; a flow run is a short, attributable
request to change it (DESIGN.md decision 1): nothing waits inside a flow for a person.

Each is made of the same steps (``workflows.steps``): one engine call that retries only
outages, then the run named and tagged by the audit it touched. A run never acts as a person
named in its parameters: it acts as the configured operator (or, for the calendar, the
coordinator set for it), and every event it writes says "via Prefect" and which run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State

from notifications.relay import relay
from states.errors import AuditEngineError
from states.services.audits import fire
from states.services.deps import Deps
from states.services.due import (
    NAMED_AUDITS,
    TouchedAudit,
    audits_with_due_messages,
    audits_with_due_reminders,
)
from states.services.operator import OperationalTrigger, require_operational, require_operator
from states.services.programme import start_from_programme
from states.services.queries import audit_type_of
from states.services.recurring import CalendarWork, calendar_work, start_calendar_work
from states.services.sweep import sweep
from workflows.parameters import AgencyCode, Email, ProgrammeEntry, Reference
from workflows.runtime import current
from workflows.steps import audit_labels, engine_call, label_run, refused, via_prefect

# The tags of the runs the worker's tick makes, beside each audit's own, so the runs list
# can show the periodic work apart, or one part of it, or hide it.
PERIODIC = "periodic"
REMINDERS = "reminders"
OUTBOX = "outbox"
CALENDAR = "calendar"
HEARTBEAT = "heartbeat"


@flow(
    name="start-audit",
    flow_run_name="start {programme_entry}",
    persist_result=False,
    log_prints=False,
)
def start_audit_flow(
    *,
    programme_entry: ProgrammeEntry,
    lead: Email,
    agencies: list[AgencyCode] | None = None,
    started_on: date | None = None,
) -> dict[str, Any] | State[Any]:
    """Start the audit of an entry of the programme, with the plan's type and theme, as the
    operator. An audit the programme does not name is started with `oscp audit start`.

    Args:
        programme_entry: The programme's entry, by key (`oscp programme show` lists them).
        lead: E-mail of the learning hub member who chairs the audit and writes the report.
        agencies: Codes of the agencies invited to take part (e.g. "police", "csc").
        started_on: The start date, if not today (London).
    """
    runtime = current()
    deps = via_prefect(runtime.deps)
    try:
        operator = runtime.configured_operator()
        fired = engine_call(
            lambda: start_from_programme(
                deps,
                key=programme_entry,
                lead=lead,
                actor=require_operator(deps, operator),
                agencies=tuple(agencies or ()),
                started_on=started_on,
            )
        )
        audit_type = audit_type_of(deps, audit=fired.reference)
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
    *, reference: Reference, trigger: OperationalTrigger
) -> dict[str, Any] | State[Any]:
    """Take an operational step of an audit as the operator. Every gate is checked as
    anywhere else; a blocked gate fails the run and says why. A person's decisions (sign-off,
    moderation, assurance, withdrawal, ...) are theirs to take where they sign in or by link.

    Args:
        reference: The audit's reference (e.g. AUD-7K2M9QXP).
        trigger: The step, as the audit's definition names it (e.g. "open_returns").
    """
    runtime = current()
    deps = via_prefect(runtime.deps)
    try:
        require_operational(trigger)  # the form offers no other; a caller may skip the form
        operator = runtime.configured_operator()
        fired = engine_call(
            lambda: fire(
                deps, audit=reference, trigger=trigger, actor=require_operator(deps, operator)
            )
        )
    except AuditEngineError as exc:
        if not exc.retryable:
            label_run(f"{trigger} {reference} (refused)", f"audit:{reference}")
            return refused(exc)
        raise
    audit_type = audit_type_of(deps, audit=reference)
    label_run(f"{trigger} {reference}", *audit_labels(reference, audit_type))
    get_run_logger().info("audit %s: %s -> %s", reference, fired.from_state, fired.to_state)
    return {"reference": reference, "state": fired.to_state, "version": fired.version}


@flow(name="reminder-sweep", flow_run_name="reminder sweep", persist_result=False, log_prints=False)
def reminder_sweep_flow() -> dict[str, int]:
    """Turn every reminder rung now due into messages, once each, however late this runs."""
    deps = current().deps
    audits, result = engine_call(lambda: (audits_with_due_reminders(deps), sweep(deps)))
    label_run(
        f"reminder sweep: {result.messages} message(s){_for(audits)}",
        *_periodic_labels(REMINDERS, audits),
    )
    get_run_logger().info("%d rung(s) due, %d message(s) queued", result.rungs, result.messages)
    return {"rungs": result.rungs, "messages": result.messages}


@flow(name="outbox-relay", flow_run_name="outbox relay", persist_result=False, log_prints=False)
def outbox_relay_flow() -> dict[str, int]:
    """Send the messages that are due; a mail server that is down defers them, not loses them."""
    runtime = current()
    deps = runtime.deps
    audits, result = engine_call(
        lambda: (
            audits_with_due_messages(deps),
            relay(deps, runtime.mailer, config=runtime.relay_config),
        )
    )
    label_run(
        f"outbox relay: {result.sent} sent, {result.deferred} deferred{_for(audits)}",
        *_periodic_labels(OUTBOX, audits),
    )
    get_run_logger().info(
        "%d sent, %d deferred, %d failed", result.sent, result.deferred, result.failed
    )
    return {"sent": result.sent, "deferred": result.deferred, "failed": result.failed}


@flow(
    name="periodic-heartbeat",
    flow_run_name="nothing due at {hour:%H}:00",
    persist_result=False,
    log_prints=False,
)
def heartbeat_flow(*, hour: datetime) -> None:
    """Say that the worker ticked in this hour and found nothing due: no reminder rung, no
    message, no calendar work. The worker makes one such run in an hour at most (the first
    quiet tick's), and none for the quiet ticks after it, so the runs list shows the work,
    not the clock, and still shows the worker alive.

    Args:
        hour: The hour's start, in London time.
    """
    label_run(f"nothing due at {hour:%H}:00", PERIODIC, HEARTBEAT)
    get_run_logger().info("the worker ticked at %s:00 and found nothing due", f"{hour:%H}")


@flow(
    name="partnership-calendar",
    flow_run_name="partnership calendar",
    persist_result=False,
    log_prints=False,
)
def calendar_flow() -> dict[str, str] | State[Any]:
    """Start the programme's recurring work whose time has come (each quarter's safeguarding
    effectiveness report, each year's training-impact audit and programme review), each
    unless it is started already and each linked to its programme entry, in the name of the
    coordinator and with the author set for the calendar work (OSCP_CALENDAR_COORDINATOR and
    _LEAD). Returns each entry's audit by the entry's key."""
    runtime = current()
    deps = via_prefect(runtime.deps)
    try:
        people = runtime.configured_calendar()
        due = engine_call(lambda: calendar_work(deps))
    except AuditEngineError as exc:
        if not exc.retryable:
            return refused(exc)
        raise
    named = {"coordinator": people.coordinator, "lead": people.lead}
    started = {w.entry.key: ref for w in due if (ref := _start_one(deps, w, named)) is not None}
    types = {w.entry.key: w.entry.audit_type for w in due}
    labels = [label for k, ref in started.items() for label in audit_labels(ref, types[k])]
    label_run(" ".join(("calendar", *started.values())), PERIODIC, CALENDAR, *labels)
    return started


def _start_one(deps: Deps, work: CalendarWork, named: dict[str, str]) -> str | None:
    """One time round's audit; one that cannot start is logged and the others still start."""
    try:
        return engine_call(lambda: start_calendar_work(deps, work, **named))
    except AuditEngineError as exc:
        get_run_logger().warning(
            "%s due %s not started: %s", work.entry.key, work.occurrence.label, exc
        )
        return None


def _periodic_labels(part: str, audits: Iterable[TouchedAudit] = ()) -> list[str]:
    """A periodic run's tags: that it is periodic, which part, and the audits it touched."""
    return [
        PERIODIC,
        part,
        *(tag for a in audits for tag in audit_labels(a.reference, a.audit_type)),
    ]


def _for(audits: list[TouchedAudit]) -> str:
    """The audits in a run's name, as many as a name can hold ("" for none)."""
    if not audits:
        return ""
    if len(audits) >= NAMED_AUDITS:
        return f" for {NAMED_AUDITS} or more audits"
    return " for " + " ".join(a.reference for a in audits)


PEOPLE_FLOWS = (start_audit_flow, advance_audit_flow)
# Deployed, so a coordinator may run one now; the heartbeat is the worker's alone.
PERIODIC_FLOWS = (reminder_sweep_flow, outbox_relay_flow, calendar_flow)
