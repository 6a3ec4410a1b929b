"""The audit page's returns (issue 15, item 8): "0 of 3" from the sample before anyone starts,
counted part-way, "Submitted" once all are in, "Reopened" after a reopening; the cases still
owed for the coordinator, counts only for a learning hub member who is not the chair."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from states.services import returns, work
from states.services.deps import Deps
from tests.support.driver import complete_answers, drive
from tests.support.partnership import agency_name, email, give_passwords
from tests.support.web import PASSWORD, sign_in


@pytest.fixture
def people(partnership: Deps) -> Deps:
    give_passwords(partnership, PASSWORD, ("coordinator", "lhm"))
    return partnership


def _rows(client: TestClient, reference: str) -> dict[str, list[str]]:
    """The returns table's cells (tags dropped), by agency name."""
    page = client.get(f"/audits/{reference}")
    assert page.status_code == 200
    section = page.text.split('<h2 id="agencies">', 1)[1].split('<h2 id="deadlines">', 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", section, flags=re.S):
        cells = [
            re.sub(r"<[^>]+>", " ", c).split()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        ]
        if cells:
            rows[" ".join(cells[0])] = [" ".join(c) for c in cells[1:]]
    return rows


def _submit(deps: Deps, reference: str, case: str) -> None:
    tool = deps.catalogue.tool("mace")
    assert tool is not None
    returns.submit(
        deps,
        audit=reference,
        actor=email("lead.police"),
        agency="police",
        case=case,
        answers=complete_answers(tool),
    )


def test_the_page_shows_each_agencys_returns_as_they_stand(
    people: Deps, client: TestClient
) -> None:
    driver = drive(people, "mace", "auditors_assigned")
    reference, (c1, c2, c3) = driver.reference, driver.cases
    police = agency_name("police")
    sign_in(client, email("coordinator"))
    assert _rows(client, reference)[police] == ["Not requested", "0 of 3", f"{c1}, {c2}, {c3}"]

    driver.advance("returns_open")
    assert _rows(client, reference)[police] == ["Requested", "0 of 3", f"{c1}, {c2}, {c3}"]
    _submit(people, reference, c1)
    assert _rows(client, reference)[police] == ["In progress", "1 of 3", f"{c2}, {c3}"]
    _submit(people, reference, c2)
    _submit(people, reference, c3)
    assert _rows(client, reference)[police] == ["Submitted", "3 of 3", "None"]
    returns.reopen(
        people,
        audit=reference,
        actor=email("coordinator"),
        agency="police",
        case=c2,
        reason="Dates were last year's",
    )
    assert _rows(client, reference)[police] == ["Reopened", "2 of 3", c2]

    sign_in(client, email("lhm"))
    assert _rows(client, reference)[police] == ["Reopened", "2 of 3"]


def test_an_agency_nobody_can_ask_is_marked(people: Deps, client: TestClient) -> None:
    driver = drive(people, "section_11", "tool_issued")
    work.invite_agencies(
        people, audit=driver.reference, actor=email("coordinator"), agencies=["early_years"]
    )
    driver.advance("returns_open")
    sign_in(client, email("coordinator"))
    rows = _rows(client, driver.reference)
    name = agency_name("early_years")
    marked = f"{name} No active agency lead: nobody there is asked for its returns"
    assert rows[marked] == ["Not requested", "0 of 1"]
    assert rows[agency_name("police")] == ["Requested", "0 of 1"]
