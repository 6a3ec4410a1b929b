"""Each agency's returns as the audit page and ``oscp audit show`` see them (issue 15, item 8):
owed from the sample before anyone starts, the current round only, a status that is true
when all are in or one was reopened, and the cases still owed for those who may see them."""

from __future__ import annotations

from states.rules.return_progress import ReturnProgress
from states.services import returns, work
from states.services.deps import Deps
from states.services.returns_status import AgencyReturns, ReturnsStatus, returns_status
from tests.support.driver import Driver, complete_answers, drive
from tests.support.partnership import agency_name, email

COORDINATOR = email("coordinator")
POLICE = email("lead.police")


def _status(deps: Deps, reference: str, local: str = "coordinator") -> ReturnsStatus:
    return returns_status(deps, audit=reference, as_person=email(local))


def _police(status: ReturnsStatus) -> AgencyReturns:
    return next(a for a in status.agencies if a.code == "police")


def _seen(row: AgencyReturns) -> tuple[ReturnProgress, int, int, tuple[str, ...]]:
    return row.status, row.submitted, row.owed, row.cases_owed


def _submit_case(deps: Deps, reference: str, case: str) -> None:
    tool = deps.catalogue.tool("mace")
    assert tool is not None
    returns.submit(
        deps,
        audit=reference,
        actor=POLICE,
        agency="police",
        case=case,
        answers=complete_answers(tool),
    )


def test_case_returns_are_counted_from_the_sample_through_a_reopening(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "auditors_assigned")
    reference, cases = driver.reference, tuple(driver.cases)
    before = _status(deps, reference)
    assert (before.round, before.open, before.per_case, before.sampled) == (None, False, True, 3)
    assert _seen(_police(before)) == (ReturnProgress.NOT_REQUESTED, 0, 3, cases)

    driver.advance("returns_open")
    assert _seen(_police(_status(deps, reference))) == (ReturnProgress.REQUESTED, 0, 3, cases)

    _submit_case(deps, reference, cases[0])
    part_way = _police(_status(deps, reference))
    assert _seen(part_way) == (ReturnProgress.IN_PROGRESS, 1, 3, cases[1:])

    for case in cases[1:]:
        _submit_case(deps, reference, case)
    all_in = _status(deps, reference)
    assert _seen(_police(all_in)) == (ReturnProgress.SUBMITTED, 3, 3, ())
    assert all(a.status is ReturnProgress.REQUESTED for a in all_in.agencies if a.code != "police")

    returns.reopen(
        deps, audit=reference, actor=COORDINATOR, agency="police", case=cases[1], reason="Dates"
    )
    reopened = _police(_status(deps, reference))
    assert _seen(reopened) == (ReturnProgress.REOPENED, 2, 3, (cases[1],))

    _submit_case(deps, reference, cases[1])
    assert _seen(_police(_status(deps, reference))) == (ReturnProgress.SUBMITTED, 3, 3, ())

    driver.advance("moderation")
    closed = _status(deps, reference)
    assert (closed.open, closed.round) == (False, all_in.round)
    assert {a.status for a in closed.agencies} == {ReturnProgress.SUBMITTED}


def test_an_agency_lead_sees_their_own_agency_and_others_see_no_cases(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", "returns_open").reference
    mine = _status(deps, reference, "lead.police")
    assert [a.code for a in mine.agencies] == ["police"] and mine.shows_cases
    assert len(mine.agencies[0].cases_owed) == 3
    chair = _status(deps, reference, "chair")
    assert chair.shows_cases and len(chair.agencies) == 3
    hub = _status(deps, reference, "lhm")
    assert not hub.shows_cases and len(hub.agencies) == 3
    assert all(a.cases_owed == () and a.owed == 3 for a in hub.agencies)


def test_a_second_round_counts_only_its_own_returns(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "deep_dive", "further_assurance_requested")
    first = _status(deps, driver.reference)
    assert _seen(_police(first)) == (ReturnProgress.SUBMITTED, 1, 1, ())
    driver.fire("request_further_evidence")
    second = _status(deps, driver.reference)
    assert second.open and second.round is not None and first.round is not None
    assert second.round > first.round
    assert _seen(_police(second)) == (ReturnProgress.REQUESTED, 0, 1, ())


def test_an_agency_named_in_no_case_owes_nothing(partnership: Deps) -> None:
    deps = partnership
    driver = Driver.start(deps, "mace")
    driver.invite_agencies()
    work.invite_agencies(deps, audit=driver.reference, actor=COORDINATOR, agencies=["schools"])
    driver.advance("returns_open")
    schools = next(a for a in _status(deps, driver.reference).agencies if a.code == "schools")
    assert (schools.name, schools.status, schools.owed) == (
        agency_name("schools"),
        ReturnProgress.NOT_REQUESTED,
        0,
    )
