"""The organisers read an agency's returns (issue 17 item 3): every agency's, per case on a
case audit, still after returns have closed; a draft's answers stay the agency's own."""

from __future__ import annotations

import pytest

from states.errors import NotFound, PermissionDenied
from states.services import returns
from states.services.deps import Deps
from states.services.return_reads import agency_returns
from tests.support.driver import FREE_TEXT, complete_answers, drive
from tests.support.partnership import email

COORDINATOR = email("coordinator")


def test_submitted_answers_are_read_and_drafts_are_only_said_to_exist(partnership: Deps) -> None:
    deps = partnership
    driver = drive(deps, "mace", "returns_open")
    reference, cases = driver.reference, driver.cases
    tool = deps.catalogue.tool("mace")
    assert tool is not None
    returns.submit(
        deps,
        audit=reference,
        actor=email("lead.police"),
        agency="police",
        case=cases[0],
        answers=complete_answers(tool),
    )
    returns.save_draft(
        deps,
        audit=reference,
        actor=email("lead.police"),
        agency="police",
        case=cases[1],
        answers={"lived_experience_good_practice": "A draft the agency has not sent"},
    )
    read = agency_returns(deps, audit=reference, as_person=COORDINATOR, agency="police")
    assert read.agency.name == "Northvale Police" and read.open and read.tool.title
    assert [(r.case, r.status) for r in read.returns] == [
        (cases[0], "submitted"),
        (cases[1], "draft"),
        (cases[2], "not started"),
    ]
    assert read.returns[0].answers["lived_experience_rating"] == "outstanding"
    assert read.returns[1].answers == {}

    one = agency_returns(
        deps, audit=reference, as_person=email("chair"), agency="police", case=cases[0]
    )
    assert [r.case for r in one.returns] == [cases[0]]
    with pytest.raises(NotFound):
        agency_returns(deps, audit=reference, as_person=COORDINATOR, agency="police", case="X-1")
    with pytest.raises(NotFound):
        agency_returns(deps, audit=reference, as_person=COORDINATOR, agency="housing")
    with pytest.raises(PermissionDenied):
        agency_returns(deps, audit=reference, as_person=email("lhm"), agency="police")


def test_the_last_round_is_read_after_returns_close(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "section_11", "moderation").reference
    read = agency_returns(deps, audit=reference, as_person=COORDINATOR, agency="csc")
    assert not read.open and read.round is not None
    (only,) = read.returns
    assert only.case is None and only.status == "submitted"
    assert any(value.startswith(FREE_TEXT) for value in only.answers.values())
