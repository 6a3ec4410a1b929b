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

from sqlalchemy import Connection, Join, and_, false, func, or_, select

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
class _Tally:
    """One agency's returns in the round, counted by the database."""

    owed: int
    started: int = 0
    submitted: int = 0
    reopened: int = 0


@dataclass(frozen=True)
class _Found:
    """What the view is made of, read in one transaction."""

    taking_part: list[_TakingPart]
    with_lead: set[int]
    tallies: dict[int, _Tally]  # by agency; an agency owing nothing has none
    still_owed: dict[int, list[str]]  # by agency: the references of cases not yet in
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
        cases = reach is not ReturnsReach.COUNTS_ONLY
        round_ = returns_round(uow.connection, row, stages)
        found = _read(uow.connection, row.id, round_, per_case=per_case, cases=cases)
    shown = [
        p
        for p in found.taking_part
        if reach is not ReturnsReach.OWN_AGENCY or p.agency_id == who.agency_id
    ]
    return ReturnsStatus(
        row.reference,
        per_case,
        found.sampled,
        round_,
        row.state in stages.collecting,
        cases,
        tuple(_agency(found, p, round_ is not None) for p in shown),
    )


def _agency(found: _Found, taking: _TakingPart, opened: bool) -> AgencyReturns:
    tally = found.tallies.get(taking.agency_id, _Tally(owed=0))
    counts = RoundCounts(
        opened=opened,
        asked=taking.agency_id in found.asked,
        owed=tally.owed,
        started=tally.started,
        submitted=tally.submitted,
        reopened=tally.reopened,
    )
    return AgencyReturns(
        taking.code,
        taking.name,
        taking.required,
        taking.deep_dive,
        taking.agency_id in found.with_lead,
        progress(counts),
        counts.owed,
        counts.submitted,
        tuple(found.still_owed.get(taking.agency_id, ())),
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


def _read(
    connection: Connection, audit_id: int, round_: int | None, *, per_case: bool, cases: bool
) -> _Found:
    """``cases``: whether the references of the cases still owed are read (and shown)."""
    taking_part = _taking_part(connection, audit_id)
    if per_case:
        tallies = _case_tallies(connection, audit_id, round_)
        # Once every return is in (as through moderation), there is no case to list.
        owing = any(tally.submitted < tally.owed for tally in tallies.values())
        still_owed = _still_owed(connection, audit_id, round_) if cases and owing else {}
        sampled = connection.execute(
            select(func.count()).select_from(t.case).where(t.case.c.audit_id == audit_id)
        ).scalar_one()
    else:
        tallies = _agency_tallies(connection, audit_id, round_, taking_part)
        still_owed, sampled = {}, 0
    return _Found(
        taking_part,
        _with_lead(connection, audit_id),
        tallies,
        still_owed,
        set() if round_ is None else _asked(connection, audit_id, round_),
        int(sampled),
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


# A return counts for a case only when the case (still) names its agency: the sample's
# case-agency rows are what is owed, each joined to its return in the round, if there is one.
_SUBMITTED = t.audit_return.c.status == ReturnStatus.SUBMITTED
# Reopening keeps ``submitted_by`` and clears the rest: a draft with a submitter was reopened.
_REOPENED = and_(
    t.audit_return.c.status == ReturnStatus.DRAFT, t.audit_return.c.submitted_by.is_not(None)
)


def _owed_with_returns(audit_id: int, round_: int | None) -> Join:
    c, ca, r = t.case, t.case_agency, t.audit_return
    in_round = (
        false()
        if round_ is None
        else and_(
            r.c.audit_id == audit_id,
            r.c.agency_id == ca.c.agency_id,
            r.c.case_key == c.c.id,
            r.c.round == round_,
        )
    )
    return ca.join(c, c.c.id == ca.c.case_id).outerjoin(r, in_round)


def _case_tallies(connection: Connection, audit_id: int, round_: int | None) -> dict[int, _Tally]:
    """Counted in the database: a thousand-case audit owes thousands of returns."""
    started = func.count(t.audit_return.c.id)
    statement = (
        select(t.case_agency.c.agency_id, func.count(), started)
        .add_columns(started.filter(_SUBMITTED), started.filter(_REOPENED))
        .select_from(_owed_with_returns(audit_id, round_))
        .where(t.case.c.audit_id == audit_id)
        .group_by(t.case_agency.c.agency_id)
    )
    return {
        int(agency): _Tally(int(owed), int(begun), int(sent), int(back))
        for agency, owed, begun, sent, back in connection.execute(statement)
    }


def _still_owed(connection: Connection, audit_id: int, round_: int | None) -> dict[int, list[str]]:
    statement = (
        select(t.case_agency.c.agency_id, t.case.c.reference)
        .select_from(_owed_with_returns(audit_id, round_))
        .where(
            t.case.c.audit_id == audit_id,
            or_(t.audit_return.c.id.is_(None), ~_SUBMITTED),
        )
        .order_by(t.case.c.reference)
    )
    owed: dict[int, list[str]] = defaultdict(list)
    for agency_id, reference in connection.execute(statement):
        owed[int(agency_id)].append(str(reference))
    return dict(owed)


def _agency_tallies(
    connection: Connection, audit_id: int, round_: int | None, taking_part: list[_TakingPart]
) -> dict[int, _Tally]:
    """A tool completed per agency: one return owed by each agency taking part."""
    tallies = {p.agency_id: _Tally(owed=1) for p in taking_part}
    if round_ is None:
        return tallies
    r = t.audit_return
    rows = connection.execute(
        select(r.c.agency_id, _SUBMITTED, _REOPENED).where(
            r.c.audit_id == audit_id, r.c.round == round_, r.c.case_key == 0
        )
    )
    for agency_id, submitted, reopened in rows:
        if int(agency_id) in tallies:
            tallies[int(agency_id)] = _Tally(1, 1, int(bool(submitted)), int(bool(reopened)))
    return tallies


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
