"""What must hold at the end of the year, each a sentence when it does not.

- Every e-mail arrived exactly once: each Message-ID once at the server, as many as the
  outbox marked sent, and nothing left waiting in the outbox.
- No audit is stuck without a reason: each one still open says what it waits for (a gate's
  own sentence, or the sign-off members or assurance its stage waits on).
- Every reminder, overdue notice and escalation went out on a working day at 09:00 London.
- Every gate was respected: each audit past sign-off has an approval on record; each closed
  audit has no action outstanding, no concern without assurance and no return unsent.
- No e-mail named a case.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, select

from bench.year.desk import AFTER_SIGN_OFF, Audit
from bench.year.mailbox import Tallies
from states.clock import LONDON
from states.definitions.stage_names import Stage
from states.persistence import tables as t
from states.persistence.vocabulary import ReturnStatus
from states.rules.action_plan import OUTSTANDING
from states.services.deps import Deps

NINE = time(9, 0)
PAST_SIGN_OFF = AFTER_SIGN_OFF | {Stage.CLOSED}


def failures(deps: Deps, tallies: Tallies, audits: Iterable[Audit]) -> list[str]:
    found = list(_mail(deps, tallies))
    found += [
        f"{a.reference} ({a.kind}) is open with no reason given"
        for a in audits
        if not a.closed and not a.waiting_for
    ]
    found += list(_gates(deps))
    return found


def _count(c: Connection, *where: ColumnElement[bool]) -> int:
    return int(c.execute(select(func.count()).select_from(t.outbox).where(*where)).scalar_one())


def _mail(deps: Deps, tallies: Tallies) -> Iterator[str]:
    doubled = sum(1 for n in tallies.ids.values() if n > 1)
    if doubled:
        yield f"{doubled} e-mail(s) arrived more than once"
    with deps.uow(readonly=True) as uow:
        sent = _count(uow.connection, t.outbox.c.sent_at.is_not(None))
        waiting = _count(
            uow.connection, t.outbox.c.sent_at.is_(None), t.outbox.c.failed_at.is_(None)
        )
    if sent != len(tallies.ids):
        yield f"the outbox marked {sent} sent but the server received {len(tallies.ids)}"
    if waiting:
        yield f"{waiting} e-mail(s) were still waiting to be sent at the end"
    off = [d for d in tallies.chasers if not _nine_on_a_working_day(deps, d)]
    if off:
        yield f"{len(off)} reminder(s) went out other than at 09:00 on a working day"
    if tallies.naming_a_case:
        yield f"{tallies.naming_a_case} e-mail(s) named a case"


def _nine_on_a_working_day(deps: Deps, sent: datetime) -> bool:
    local = sent.astimezone(LONDON)
    return local.time() == NINE and deps.calendar.is_working_day(local.date())


def _audits_with(c: Connection, statement: Select[Any]) -> set[int]:
    # One column of ids: scalars() gives each row's first (and only) value.
    return {int(i) for i in c.execute(statement).scalars()}


def _gates(deps: Deps) -> Iterator[str]:
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        audits = c.execute(
            select(t.audit.c.id, t.audit.c.reference, t.audit.c.audit_type, t.audit.c.state)
        ).all()
        approved = _audits_with(
            c, select(t.decision.c.audit_id).where(t.decision.c.decision == "approve")
        )
        held = {
            "an action outstanding": _audits_with(
                c, select(t.action.c.audit_id).where(t.action.c.status.in_(OUTSTANDING))
            ),
            "a concern without assurance": _audits_with(
                c, select(t.escalation.c.audit_id).where(t.escalation.c.assured_at.is_(None))
            ),
            "a return unsent": _audits_with(
                c,
                select(t.audit_return.c.audit_id).where(
                    t.audit_return.c.status != ReturnStatus.SUBMITTED
                ),
            ),
        }
    for audit_id, reference, audit_type, state in audits:
        definition = deps.catalogue.current(audit_type).definition
        stage = definition.state(state).stage
        signs_off = definition.sign_off is not None
        if signs_off and stage in PAST_SIGN_OFF and audit_id not in approved:
            yield f"{reference} went past sign-off with no approval recorded"
        if stage is Stage.CLOSED:
            yield from (
                f"{reference} closed with {what}" for what, ids in held.items() if audit_id in ids
            )
