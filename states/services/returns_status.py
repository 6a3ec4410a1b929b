"""Where each agency or setting on an audit stands with its returns: one view, which the audit
page and ``oscp audit show`` both show.

One round only: the round of returns open now, or the last one once returns have closed (a
round is one visit of a state that collects returns; its returns carry the version that
entered it). What an agency owes is known from the sample before it starts: a return for each
sampled case (or attendee) naming it on a tool completed per case, else one. An agency counts
as asked when a return request was queued in the round for its leads, so one nobody could ask
is never shown as asked. A draft with a submitter is a reopened return (reopening keeps
``submitted_by`` and clears the rest).

Counts and statuses are anyone's to read; the pseudonymous references of the cases still owed
are the coordinator's and chair's, and an agency lead sees their own agency's row alone
(``states.rules.policy.returns_reach``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditRow, AuditStore
from states.persistence.vocabulary import ReturnStatus
from states.rules.policy import ReturnsReach, returns_reach
from states.rules.return_progress import ReturnProgress, RoundCounts, progress
from states.rules.stages import Stages
from states.services.audits import compiled_for, tool_is_per_case
from states.services.deps import Deps


@dataclass(frozen=True)
class AgencyReturns:
    code: str
    name: str
    required: bool
    deep_dive: bool
    has_lead: bool  # an active agency lead, who is asked for its returns
    status: ReturnProgress
    owed: int
    submitted: int
    # The references of the cases it still owes in the round (empty where not shown).
    cases_owed: tuple[str, ...]


@dataclass(frozen=True)
class ReturnsStatus:
    reference: str
    per_case: bool  # a return per sampled case (or attendee), not one per agency
    sampled: int  # cases (or attendees) in the sample
    round: int | None  # None until returns first open
    open: bool
    shows_cases: bool
    agencies: tuple[AgencyReturns, ...]


@dataclass(frozen=True)
class _TakingPart:
    agency_id: int
    code: str
    name: str
    required: bool
    deep_dive: bool


@dataclass(frozen=True)
class _Found:
    """What the view is made of, read in one transaction."""

    taking_part: list[_TakingPart]
    with_lead: set[int]
    owed: dict[int, list[tuple[int, str]]]  # agency -> (case key, reference); 0 per agency
    returns: dict[int, dict[int, tuple[str, bool]]]  # agency -> case key -> (status, reopened)
    asked: set[int]
    sampled: int


def returns_status(deps: Deps, *, audit: AuditKey, as_person: PersonKey) -> ReturnsStatus:
    with deps.uow(readonly=True) as uow:
        store = AuditStore(uow.connection)
        row = store.load_audit(audit)
        who = store.load_actor(as_person)
        stages = compiled_for(deps, store, row).stages
        per_case = tool_is_per_case(deps, store, row)()
        reach = returns_reach(store.roles_in(who, row) | who.roles)
        round_ = returns_round(uow.connection, row, stages)
        found = _read(uow.connection, row.id, round_, per_case=per_case)
    shown = [
        p
        for p in found.taking_part
        if reach is not ReturnsReach.OWN_AGENCY or p.agency_id == who.agency_id
    ]
    cases = reach is not ReturnsReach.COUNTS_ONLY
    return ReturnsStatus(
        row.reference,
        per_case,
        found.sampled,
        round_,
        row.state in stages.collecting,
        cases,
        tuple(_agency(found, p, round_ is not None, show_cases=cases) for p in shown),
    )


def _agency(found: _Found, taking: _TakingPart, opened: bool, *, show_cases: bool) -> AgencyReturns:
    owed = found.owed.get(taking.agency_id, [])
    made = found.returns.get(taking.agency_id, {})
    mine = {key: made[key] for key, _ in owed if key in made}
    submitted = {key for key, (status, _) in mine.items() if status == ReturnStatus.SUBMITTED}
    counts = RoundCounts(
        opened=opened,
        asked=taking.agency_id in found.asked,
        owed=len(owed),
        started=len(mine),
        submitted=len(submitted),
        reopened=sum(1 for _, reopened in mine.values() if reopened),
    )
    still = tuple(ref for key, ref in owed if key not in submitted and ref) if show_cases else ()
    return AgencyReturns(
        taking.code,
        taking.name,
        taking.required,
        taking.deep_dive,
        taking.agency_id in found.with_lead,
        progress(counts),
        counts.owed,
        counts.submitted,
        still,
    )


def returns_round(connection: Connection, row: AuditRow, stages: Stages) -> int | None:
    """The version that entered the state collecting returns now, or the last that did: the
    round every view of the returns shows (None until returns first open)."""
    if row.state in stages.collecting:
        return row.state_round
    e = t.event
    entered = connection.execute(
        select(func.max(e.c.version)).where(
            e.c.audit_id == row.id,
            e.c.to_state.in_(sorted(stages.collecting)),
            e.c.from_state != e.c.to_state,
        )
    ).scalar_one()
    return None if entered is None else int(entered)


def _read(connection: Connection, audit_id: int, round_: int | None, *, per_case: bool) -> _Found:
    taking_part = _taking_part(connection, audit_id)
    owed, sampled = _owed(connection, audit_id, per_case, taking_part)
    return _Found(
        taking_part,
        _with_lead(connection, audit_id),
        owed,
        {} if round_ is None else _returns(connection, audit_id, round_),
        set() if round_ is None else _asked(connection, audit_id, round_),
        sampled,
    )


def _taking_part(connection: Connection, audit_id: int) -> list[_TakingPart]:
    p, g = t.participation, t.agency
    rows = connection.execute(
        select(g.c.id, g.c.code, g.c.name, p.c.required, p.c.deep_dive)
        .join(p, p.c.agency_id == g.c.id)
        .where(p.c.audit_id == audit_id)
        .order_by(g.c.name, g.c.code)
    )
    return [
        _TakingPart(int(i), code, name, bool(req), bool(deep)) for i, code, name, req, deep in rows
    ]


def _with_lead(connection: Connection, audit_id: int) -> set[int]:
    statement = (
        select(t.person.c.agency_id)
        .join(t.role, t.role.c.person_id == t.person.c.id)
        .join(t.participation, t.participation.c.agency_id == t.person.c.agency_id)
        .where(
            t.participation.c.audit_id == audit_id,
            t.role.c.role == "agency_lead",
            t.person.c.active,
        )
    )
    return {int(agency) for agency in connection.execute(statement).scalars()}


def _owed(
    connection: Connection, audit_id: int, per_case: bool, taking_part: list[_TakingPart]
) -> tuple[dict[int, list[tuple[int, str]]], int]:
    """Each agency's owed returns by case key, and how many cases are sampled."""
    if not per_case:
        return {p.agency_id: [(0, "")] for p in taking_part}, 0
    c, ca = t.case, t.case_agency
    rows = connection.execute(
        select(ca.c.agency_id, c.c.id, c.c.reference)
        .join(c, c.c.id == ca.c.case_id)
        .where(c.c.audit_id == audit_id)
        .order_by(c.c.reference)
    ).all()
    owed: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for agency_id, case_id, reference in rows:
        owed[int(agency_id)].append((int(case_id), str(reference)))
    sampled = connection.execute(
        select(func.count()).select_from(c).where(c.c.audit_id == audit_id)
    ).scalar_one()
    return dict(owed), int(sampled)


def _returns(
    connection: Connection, audit_id: int, round_: int
) -> dict[int, dict[int, tuple[str, bool]]]:
    r = t.audit_return
    rows = connection.execute(
        select(r.c.agency_id, r.c.case_key, r.c.status, r.c.submitted_by).where(
            r.c.audit_id == audit_id, r.c.round == round_
        )
    )
    made: dict[int, dict[int, tuple[str, bool]]] = defaultdict(dict)
    for agency_id, key, status, submitter in rows:
        reopened = status == ReturnStatus.DRAFT and submitter is not None
        made[int(agency_id)][int(key)] = (str(status), reopened)
    return dict(made)


def _asked(connection: Connection, audit_id: int, round_: int) -> set[int]:
    """Agencies a return request was queued for in the round (to any of their people)."""
    o = t.outbox
    statement = (
        select(t.person.c.agency_id)
        .join(o, o.c.recipient_id == t.person.c.id)
        .where(o.c.audit_id == audit_id, o.c.kind == "return_requested", o.c.subject_id == round_)
        .distinct()
    )
    return {int(a) for a in connection.execute(statement).scalars() if a is not None}
