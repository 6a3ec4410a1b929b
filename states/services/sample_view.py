"""Reading an audit's case sample, and checking a cases list against it before it is stored.

For the chair and coordinator (``Permission.ORGANISE``): each sampled case with the agencies
involved and whether it had an intervention in the audit type's window (the rule the
``cases_within_window`` gate applies), and, for a list about to be drawn, the same for each
case offered together with anything that would make storing the list fail (an agency the
directory does not hold, a case already in the sample). Nothing here writes: the list is
stored by ``sampling.select_sample``, which checks all of it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from states.definitions.stage_names import Stage
from states.errors import NotFound, PermissionDenied
from states.persistence import tables as t
from states.persistence.ids import AuditKey, PersonKey
from states.persistence.store import AuditRow, AuditStore
from states.rules.case_list import CaseCandidate
from states.rules.directory_values import CODE
from states.rules.gates import in_case_window, months_before
from states.rules.policy import Permission, allows
from states.services.audit_access import permitted
from states.services.audits import compiled_for, tool_is_per_case
from states.services.deps import Deps

ALREADY_SAMPLED = "is already in the audit's sample"


@dataclass(frozen=True)
class Window:
    """The months before the audit started in which a sampled case must have had an
    intervention."""

    months: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class SampledCase:
    reference: str
    agencies: tuple[str, ...]  # the agencies' names (a code the directory lacks, as given)
    first_intervention_on: date | None
    last_intervention_on: date | None
    # None when the audit type declares no window.
    in_window: bool | None


@dataclass(frozen=True)
class SampleView:
    reference: str
    title: str  # the audit type's
    theme: str
    state_title: str
    per_case: bool  # whether the audit's tool is completed per case (so it samples cases)
    planning: bool  # the sample may still change (before returns open)
    may_change: bool  # the viewer may take cases out or replace them (a coordinator)
    window: Window | None
    cases: list[SampledCase]


@dataclass(frozen=True)
class CheckedCase:
    case: SampledCase
    # Why storing the list would be refused because of this case, if it would.
    problem: str | None


@dataclass(frozen=True)
class SampleCheck:
    sample: SampleView
    offered: list[CheckedCase]

    @property
    def problems(self) -> int:
        return sum(1 for c in self.offered if c.problem)

    @property
    def outside_window(self) -> int:
        return sum(1 for c in self.offered if c.case.in_window is False)


def sample_of(deps: Deps, *, audit: AuditKey, as_person: PersonKey) -> SampleView:
    """The audit's sample as it stands, for its chair or a coordinator."""
    with deps.uow(readonly=True) as uow:
        return _view(deps, uow.connection, audit, as_person)


def check_sample(
    deps: Deps, *, audit: AuditKey, as_person: PersonKey, offered: Sequence[CaseCandidate]
) -> SampleCheck:
    """What drawing ``offered`` as a list would store, case by case, in the order given."""
    with deps.uow(readonly=True) as uow:
        c = uow.connection
        sample = _view(deps, c, audit, as_person)
        names = _agency_names(c, {code for case in offered for code in case.agencies})
        sampled = {case.reference for case in sample.cases}
        checked = [
            CheckedCase(
                _shown(case, names, sample.window),
                _problem(case, names, sampled),
            )
            for case in offered
        ]
        return SampleCheck(sample, checked)


def case_to_change(
    deps: Deps, *, audit: AuditKey, case: str, as_person: PersonKey
) -> tuple[SampleView, SampledCase]:
    """One sampled case, for a coordinator about to take it out or replace it."""
    with deps.uow(readonly=True) as uow:
        sample = _view(deps, uow.connection, audit, as_person)
    if not sample.may_change:
        raise PermissionDenied(
            f"On audit {sample.reference} only a coordinator may take a case out of the "
            "sample or replace it."
        )
    found = next((c for c in sample.cases if c.reference == case), None)
    if found is None:
        raise NotFound("case", case)
    return sample, found


def _view(deps: Deps, c: Connection, audit: AuditKey, as_person: PersonKey) -> SampleView:
    store = AuditStore(c)
    allowed = permitted(
        deps, store, audit, as_person, may=Permission.ORGANISE, doing="read and change its sample"
    )
    row, roles = allowed.row, allowed.roles
    definition = compiled_for(deps, store, row).definition
    state = definition.state(row.state)
    window = _window(row, definition.case_window_months)
    return SampleView(
        row.reference,
        definition.title,
        row.theme,
        state.title,
        tool_is_per_case(deps, store, row)(),
        state.stage == Stage.PLANNING,
        allows(roles, Permission.COORDINATE),
        window,
        _cases(c, row, window),
    )


def _window(row: AuditRow, months: int | None) -> Window | None:
    if months is None:
        return None
    return Window(months, months_before(row.started_on, months), row.started_on)


def _cases(c: Connection, row: AuditRow, window: Window | None) -> list[SampledCase]:
    found = c.execute(
        select(
            t.case.c.id,
            t.case.c.reference,
            t.case.c.first_intervention_on,
            t.case.c.last_intervention_on,
        )
        .where(t.case.c.audit_id == row.id)
        .order_by(t.case.c.reference)
    ).all()
    involved: dict[int, list[str]] = {}
    for case_id, name in c.execute(
        select(t.case_agency.c.case_id, t.agency.c.name)
        .join(t.agency, t.agency.c.id == t.case_agency.c.agency_id)
        .join(t.case, t.case.c.id == t.case_agency.c.case_id)
        .where(t.case.c.audit_id == row.id)
        .order_by(t.agency.c.name)
    ):
        involved.setdefault(int(case_id), []).append(str(name))
    return [
        SampledCase(
            str(reference), tuple(involved.get(int(case_id), ())), first, last, _in(last, window)
        )
        for case_id, reference, first, last in found
    ]


def _in(last: date | None, window: Window | None) -> bool | None:
    if window is None:
        return None
    return in_case_window(last, window.ends_on, window.months)


def _agency_names(c: Connection, codes: set[str]) -> dict[str, str]:
    found = c.execute(
        select(t.agency.c.code, t.agency.c.name).where(t.agency.c.code.in_(sorted(codes)))
    )
    return {str(code): str(name) for code, name in found}


def _shown(case: CaseCandidate, names: dict[str, str], window: Window | None) -> SampledCase:
    return SampledCase(
        case.reference,
        tuple(names.get(code, code) for code in case.agencies),
        case.first_intervention_on,
        case.last_intervention_on,
        _in(case.last_intervention_on, window),
    )


def _problem(case: CaseCandidate, names: dict[str, str], sampled: set[str]) -> str | None:
    if case.reference in sampled:
        return ALREADY_SAMPLED
    unknown = [code for code in case.agencies if code not in names]
    if not unknown:
        return None
    # A cell is repeated only when it is written as a code is: anything else might be a name.
    if all(CODE.fullmatch(code) for code in unknown):
        return f"names agencies the directory does not hold: {', '.join(unknown)}"
    return "names an agency that is not one of the directory's codes"
