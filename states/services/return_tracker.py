"""The returns tracker: where each agency or setting stands with its returns (the view
``returns_status`` gives), against the deadline of that round of returns, with the reminders
each has been sent so far and what the person reading may do about it.

For the organisers (the chair and coordinator, ``Permission.ORGANISE``) only: they chase the
returns. A reminder counts once per rung of the deadline's ladder sent to the agency, however
many of its people it went to; the sweep keys each agency's messages of a rung
``rung:RUNG:AGENCY:PERSON`` (``states.services.sweep``), which is how they are told apart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select

from states.clock import as_utc, as_utc_or_none
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditStore
from states.rules.policy import Permission, allows
from states.services.audit_access import permitted
from states.services.audits import compiled_for
from states.services.deps import Deps
from states.services.returns_status import AgencyReturns, ReturnsStatus, returns_status

# The kinds of message a deadline's ladder sends (states.rules.reminders).
RUNG_KINDS = ("reminder", "overdue", "escalation")
RUNG_KEY = "rung:"


@dataclass(frozen=True)
class Reminded:
    """The reminders an agency was sent for the round's deadline: how many, the last when."""

    count: int = 0
    last_at: datetime | None = None


@dataclass(frozen=True)
class RoundDeadline:
    name: str
    due_at: datetime
    met_at: datetime | None
    passed: bool  # still unmet and already past


@dataclass(frozen=True)
class Tracker:
    returns: ReturnsStatus
    theme: str
    state_title: str
    deadline: RoundDeadline | None
    # By agency code; an agency not named was sent none.
    reminders: dict[str, Reminded] = field(default_factory=dict)
    # Agencies still owing returns once the deadline has passed.
    overdue: frozenset[str] = frozenset()
    # Agencies the reader may send their return link again (returns open, something still
    # owed, an audit lead to send it to).
    resendable: frozenset[str] = frozenset()
    # Whether the reader may extend the round's deadline now (the coordinator, while open).
    may_extend: bool = False

    def reminded(self, code: str) -> Reminded:
        return self.reminders.get(code, Reminded())


def tracker(deps: Deps, *, audit: AuditKey, as_person: PersonKey) -> Tracker:
    """The tracker for the organisers; anyone else is refused."""
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        store = AuditStore(c)
        allowed = permitted(
            deps, store, audit, as_person, may=Permission.ORGANISE, doing="follow its returns"
        )
        row, who, roles = allowed.row, allowed.who, allowed.roles
        state_title = compiled_for(deps, store, row).definition.state(row.state).title
    status = returns_status(deps, audit=row.id, as_person=who.id)
    now = deps.clock.now()
    with deps.uow(readonly=True) as uow:
        deadline, deadline_id = _deadline(uow.connection, row.id, status.round, now)
        sent = {} if deadline_id is None else _reminders(uow.connection, row.id, deadline_id)
        codes = {a.code: a for a in status.agencies}
        ids = _agency_ids(uow.connection, list(codes))
    late = deadline is not None and deadline.passed and status.open
    return Tracker(
        status,
        row.theme,
        state_title,
        deadline,
        {code: sent[ids[code]] for code in codes if ids.get(code) in sent},
        frozenset(code for code, a in codes.items() if late and _owing(a)),
        frozenset(code for code, a in codes.items() if status.open and _owing(a) and a.has_lead),
        allows(roles, Permission.COORDINATE) and status.open and _open(deadline),
    )


def _owing(agency: AgencyReturns) -> bool:
    return agency.submitted < agency.owed


def _open(deadline: RoundDeadline | None) -> bool:
    return deadline is not None and deadline.met_at is None


def _deadline(
    connection: Connection, audit_id: int, round_: int | None, now: datetime
) -> tuple[RoundDeadline | None, int | None]:
    if round_ is None:
        return None, None
    d = t.deadline
    found = connection.execute(
        select(d.c.id, d.c.name, d.c.due_at, d.c.met_at).where(
            d.c.audit_id == audit_id, d.c.round == round_
        )
    ).first()
    if found is None:
        return None, None
    due, met = as_utc(found.due_at), as_utc_or_none(found.met_at)
    return RoundDeadline(str(found.name), due, met, met is None and due < now), int(found.id)


def _reminders(connection: Connection, audit_id: int, deadline_id: int) -> dict[int, Reminded]:
    """Reminders per agency id: the rungs of the deadline's ladder sent to it."""
    o, r = t.outbox, t.reminder
    rows = connection.execute(
        select(o.c.key, o.c.subject_id, o.c.created_at)
        .join(r, r.c.id == o.c.subject_id)
        .where(
            o.c.audit_id == audit_id,
            o.c.kind.in_(RUNG_KINDS),
            o.c.key.startswith(RUNG_KEY),
            r.c.deadline_id == deadline_id,
        )
    )
    rungs: dict[int, set[int]] = defaultdict(set)
    last: dict[int, datetime] = {}
    for key, rung, at in rows:
        unit = key.split(":")[2]
        if not unit.isdigit() or unit == "0":
            continue
        agency = int(unit)
        rungs[agency].add(int(rung))
        last[agency] = max(last.get(agency, as_utc(at)), as_utc(at))
    return {agency: Reminded(len(found), last[agency]) for agency, found in rungs.items()}


def _agency_ids(connection: Connection, codes: list[str]) -> dict[str, int]:
    rows = connection.execute(
        select(t.agency.c.code, t.agency.c.id).where(t.agency.c.code.in_(codes))
    )
    return {str(code): int(agency_id) for code, agency_id in rows}
