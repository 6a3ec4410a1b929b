"""What a sign-off link costs the store, counted: opening it reads the page and the frozen
report behind one check of the link, and deciding checks, reads what the page says and
records the decision in one unit of work. Sixty-four members deciding at once
(``bench.approvals``) pay for every statement here; these were 17 statements in 3 units of
work to open a link and 30 in 3 to decide."""

from __future__ import annotations

from fastapi.testclient import TestClient

from states.services.deps import Deps
from tests.oscp_flow.web.support import csrf_of, sign_off_links, state
from tests.support.statements import counted

OPENING = (2, 10)  # units of work (which purpose the link is for; its page), statements
# An approval that leaves the audit waiting for the partners: 13 statements, and 6 more to take
# the sign-off deadline out of the member's calendar (their holding, the entry's sequence,
# and the cancellation queued: states.persistence.calendar_entries.release_person).
DECIDING = (1, 19)


def test_opening_a_link_reads_its_page_and_report_behind_one_check(
    partnership: Deps, client: TestClient
) -> None:
    _, minted = sign_off_links(partnership)
    with counted(partnership) as work:
        page = client.get(f"/act/{minted['lhm']}")
    assert page.status_code == 200 and "The summary report, version 1" in page.text
    assert work.units <= OPENING[0], work
    assert work.statements <= OPENING[1], work


def test_deciding_is_one_unit_of_work(partnership: Deps, client: TestClient) -> None:
    reference, minted = sign_off_links(partnership)
    token = minted["lhm"]
    form = {"csrf_token": csrf_of(client.get(f"/act/{token}").text), "purpose": "sign_off"}
    with counted(partnership) as work:
        done = client.post(f"/act/{token}", data={**form, "decision": "approve"})
    assert done.status_code == 200 and "Your approval is recorded" in done.text
    assert state(partnership, reference) == "awaiting_sign_off"
    assert work.units == DECIDING[0], work
    assert work.statements <= DECIDING[1], work
