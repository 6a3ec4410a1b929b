"""An audit's task list as its page shows it: each part of its cycle and where it stands
(``states.rules.tasks``), from the definition the audit runs under, the states it has entered
and which parts have work recorded.

What counts as work begun on a part that its own stage does not open: terms of reference
recorded, a case sampled, an auditor assigned, any words in the summary report, an item
recorded as shared, an action added, the audit discussion arranged (and not cancelled).
Nothing here is free text: only whether each exists.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, select

from states.persistence import tables as t
from states.persistence.facts import SqlAuditFacts
from states.persistence.ids import AuditKey
from states.persistence.store import AuditStore
from states.rules.meetings import MeetingStatus
from states.rules.report_content import SECTIONS
from states.rules.tasks import Part, Task, task_list
from states.services.audits import compiled_for
from states.services.deps import Deps


def tasks_of(deps: Deps, *, audit: AuditKey) -> tuple[Task, ...]:
    """Every part of the audit's cycle, in order, with where it stands."""
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        compiled = compiled_for(deps, store, row)
        entered = _entered(uow.connection, row.id)
        begun = _begun(uow.connection, row.id)
    return task_list(compiled.definition, compiled.stages, entered=entered, begun=begun)


def _entered(c: Connection, audit_id: int) -> list[str]:
    """Each state entered, oldest first (the start's event enters the first): the changes
    of stage only, picked out by the database from what may be thousands of steps."""
    e = t.event
    statement = (
        select(e.c.to_state)
        .where(e.c.audit_id == audit_id, e.c.from_state != e.c.to_state)
        .order_by(e.c.version)
    )
    return list(c.execute(statement).scalars())


def _begun(c: Connection, audit_id: int) -> frozenset[Part]:
    facts = SqlAuditFacts(c, audit_id)
    found = {
        Part.TERMS: facts.terms_recorded(),
        Part.SAMPLE: _any(c, select(t.case.c.id).where(t.case.c.audit_id == audit_id)),
        Part.AUDITORS: _any(
            c,
            select(t.assignment.c.id)
            .join(t.case, t.case.c.id == t.assignment.c.case_id)
            .where(t.case.c.audit_id == audit_id),
        ),
        Part.REPORT: len(facts.empty_report_sections()) < len(SECTIONS),
        Part.SHARING: bool(facts.shared_items()),
        Part.ACTIONS: _any(c, select(t.action.c.id).where(t.action.c.audit_id == audit_id)),
        Part.MEETING: _any(
            c,
            select(t.meeting.c.id).where(
                t.meeting.c.audit_id == audit_id,
                t.meeting.c.status != MeetingStatus.CANCELLED,
            ),
        ),
    }
    return frozenset(part for part, yes in found.items() if yes)


def _any(c: Connection, statement: Select[Any]) -> bool:
    return bool(c.execute(select(statement.exists())).scalar_one())
