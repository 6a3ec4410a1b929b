"""A process that moves audits on as fast as it can, to be killed with SIGKILL at any moment.

Run: ``python -m tests.faults.storm_driver [--fork-server] DATABASE_URL``

It takes every single-agency exception audit themed ``Storm`` in the database and, round
after round, makes each one's next move through the services: the agency submits, the chair
asks for assurance (or now and then returns the report), the agency writes its summary report
and submits it for sign-off (which freezes it), a learning hub member refuses, the
coordinator asks for further assurance, the agency resubmits (freezing the next version), and
round again. That loop passes through every kind of row a transition writes: events,
deadlines and their reminder rungs, outbox messages, sign-off decisions, and the agency's
report itself (its return, submitted, and sent back as a draft when the report is returned).

After each commit it writes ``ACK <audit> <version> <state>`` to stdout at once, so whatever
reads it knows the write was acknowledged; nothing is said of work that did not commit.
Any refusal it did not expect ends it with the error on stderr and exit status 1.

With ``--fork-server`` it imports the engine once and then, for each line read on stdin,
forks a fresh driver (a new process with its own engine and connections), prints
``PID <pid>``, and once that process has died prints ``DEAD <pid> <status>``. Killing the
driver is then a matter of milliseconds rather than a new interpreter's half-second of
imports, so a test can kill it many times over in a short run. The fork happens before any
engine or thread exists, so the child shares nothing with its parent but imported code.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, make_url, select

from states.clock import FakeClock, as_utc
from states.definitions.loader import load_definition
from states.errors import AlreadyDecided
from states.persistence import tables as t
from states.persistence.db import make_engine
from states.persistence.uow import UnitOfWorkFactory
from states.rules.calendar import WorkingCalendar
from states.rules.catalogue import Catalogue
from states.rules.report_content import SECTIONS
from states.services import audits, reports, returns, work
from states.services.deps import Deps

# Kept free of pytest and of test helpers, so the restarted driver is quick to start.
DEFINITIONS = Path(__file__).resolve().parents[2] / "definitions" / "audit_types"
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
AUDIT_TYPE = "single_agency_exception"
THEME = "Storm"
TICK = timedelta(minutes=7)
# People of the tests' partnership (tests.support.partnership), which the test loads.
AGENCY_LEAD = "lead.police@example.org"
AGENCY = "police"
# A complete exception report (the single_agency_exception_report tool), counts only.
REPORT: dict[str, object] = {
    "risk_found": "Strategy discussions held late in a sample of cases.",
    "practice_area": "child_protection",
    "children_affected": 3,
    "audit_completed_on": "2026-02-02",
    "action_taken": "Daily review of open strategy discussions by a manager.",
    "escalation_needed": "partly",
    "evidence_reference": "QA-2026-07",
}
CHAIR = "chair@example.org"
COORDINATOR = "coordinator@example.org"
MEMBER = "lhm@example.org"
Step = Callable[[Deps, str, int], None]


def fire(trigger: str, actor: str, reason: str | None = None) -> Step:
    def step(deps: Deps, audit: str, _version: int) -> None:
        audits.fire(deps, audit=audit, trigger=trigger, actor=actor, reason=reason)

    return step


def triage(deps: Deps, audit: str, version: int) -> None:
    """Mostly on to the agency; every third visit the report goes back for redrafting."""
    if version % 3 == 0:
        fire("return_to_agency", CHAIR, "Needs the chronology")(deps, audit, version)
    else:
        fire("request_agency_assurance", CHAIR)(deps, audit, version)


def refuse_sign_off(deps: Deps, audit: str, version: int) -> None:
    """A member refuses (one write), then the coordinator asks for more (another)."""
    try:
        work.record_sign_off_decision(
            deps, audit=audit, actor=MEMBER, decision="refuse", comment="More evidence needed"
        )
    except AlreadyDecided:
        # Decided before the last kill: the refusal stands, so the audit moves on.
        fire("request_further_assurance", COORDINATOR, "Refused by the hub")(deps, audit, version)


def submit_report(deps: Deps, audit: str, version: int) -> None:
    """The agency submits its report (its return) unless it did before the last kill; the
    next move sends it to the learning hub. Sent back for more detail, the report returns as
    a draft with its answers, so submitting it again needs none."""
    mine = returns.read(deps, audit=audit, actor=AGENCY_LEAD, agency=AGENCY)
    if mine.status != "submitted":
        answers = {} if mine.answers else REPORT
        returns.submit(deps, audit=audit, actor=AGENCY_LEAD, agency=AGENCY, answers=answers)
    else:
        fire("submit_exception", AGENCY_LEAD)(deps, audit, version)


def submit_for_sign_off(deps: Deps, audit: str, version: int) -> None:
    """The agency writes its report's next empty section (one write a step), and once all
    four are written submits it for sign-off, which freezes it."""
    written = reports.summary_source(deps, audit=audit).narrative
    empty = [section for section in SECTIONS if not written[section].strip()]
    if empty:
        said = f"The agency's {empty[0].replace('_', ' ')}, in its own words."
        reports.save_narrative(deps, audit=audit, actor=AGENCY_LEAD, section=empty[0], text=said)
    else:
        fire("submit_for_sign_off", AGENCY_LEAD)(deps, audit, version)


NEXT: dict[str, Step] = {
    "exception_drafting": submit_report,
    "triage": triage,
    "assurance_requested": submit_for_sign_off,
    "awaiting_sign_off": refuse_sign_off,
    "further_assurance_requested": fire("resubmit_for_sign_off", AGENCY_LEAD, "Evidence added"),
}


@dataclass(frozen=True)
class Prepared:
    """What every driver needs and costs time to make: the fork server makes it once."""

    catalogue: Catalogue
    calendar: WorkingCalendar


def prepare(url: str) -> Prepared:
    """The one audit type, the bank holidays, and the database driver's import; nothing that
    holds a connection or a thread, so it is safe to fork after."""
    make_url(url).get_dialect().import_dbapi()
    definition = load_definition(DEFINITIONS / f"{AUDIT_TYPE}.yaml")
    return Prepared(Catalogue({AUDIT_TYPE: definition}), WorkingCalendar())


def deps_for(url: str, prepared: Prepared) -> Deps:
    clock = FakeClock(START)
    engine = make_engine(url)
    deps = Deps(UnitOfWorkFactory(engine), prepared.catalogue, clock, prepared.calendar)
    with deps.uow(readonly=True) as uow:
        latest = uow.connection.execute(select(func.max(t.event.c.at))).scalar_one()
    # Carry on after the last run's time, so each run's events follow the one before.
    clock.set(as_utc(latest) + TICK if latest is not None else START)
    return deps


def storm_audits(deps: Deps) -> list[str]:
    with deps.uow(readonly=True) as uow:
        found = uow.connection.execute(
            select(t.audit.c.reference)
            .where(t.audit.c.theme == THEME, t.audit.c.audit_type == AUDIT_TYPE)
            .order_by(t.audit.c.id)
        )
        return list(found.scalars())


def where_is(deps: Deps, audit: str) -> tuple[str, int]:
    with deps.uow(readonly=True) as uow:
        row = uow.connection.execute(
            select(t.audit.c.state, t.audit.c.version).where(t.audit.c.reference == audit)
        ).one()
    return str(row.state), int(row.version)


def main(url: str, prepared: Prepared) -> None:
    deps = deps_for(url, prepared)
    assert isinstance(deps.clock, FakeClock)
    references = storm_audits(deps)
    if not references:
        sys.exit(f"No '{THEME}' audits to move in the database.")
    at = {audit: where_is(deps, audit) for audit in references}
    # The least moved first: a driver lives a few hundred milliseconds, so one that always
    # began with the first audit would never reach the last ones on a slow machine.
    references.sort(key=lambda audit: at[audit][1])
    while True:
        for audit in references:
            state, version = at[audit]
            deps.clock.advance(TICK)
            NEXT[state](deps, audit, version)
            # Read back after the commit: the driver is the only writer, so this is its write.
            at[audit] = state, version = where_is(deps, audit)
            say(f"ACK {audit} {version} {state}")


def say(line: str) -> None:
    """One line in one write to the pipe (atomic under PIPE_BUF), so a kill never leaves half
    a line; ``print`` may write the text and its newline separately (PYTHONUNBUFFERED)."""
    os.write(sys.stdout.fileno(), f"{line}\n".encode())


def fork_server(url: str) -> None:
    prepared = prepare(url)
    for _ in sys.stdin:
        pid = os.fork()
        if pid == 0:
            _child(url, prepared)
        say(f"PID {pid}")
        _, status = os.waitpid(pid, 0)
        say(f"DEAD {pid} {status}")


def _child(url: str, prepared: Prepared) -> None:
    """Never returns into the server's loop, whatever happens."""
    try:
        main(url, prepared)
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
    finally:
        os._exit(1)


if __name__ == "__main__":
    if sys.argv[1] == "--fork-server":
        fork_server(sys.argv[2])
    else:
        main(sys.argv[1], prepare(sys.argv[1]))
