"""The audit's task list and its next steps (issue 17 items 7 and 8): each part's status on
the audit page as a MACE and a Section 175 move on; each step a form named after it, showing
what blocks it before anyone presses; a step taken; a blocked step refused beside its own
form in plain words with the reason typed kept; a double click taking its step once; a
chair's step refused as not a learning hub member's to take; signed-out partnership sent to sign
in."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from states.clock import LONDON
from states.services import actions
from states.services.deps import Deps
from tests.oscp_flow.web.support import csrf_of, history, state
from tests.support.driver import Driver, drive
from tests.support.partnership import email, give_passwords
from tests.support.web import PASSWORD, sign_in

TYPED = "Closing by agreement <b>at</b> the learning hub"


SignIn = Callable[[str], None]


@pytest.fixture
def as_person(partnership: Deps, client: TestClient) -> SignIn:
    """Signs in the person known by the local part given (their password set first)."""

    def sign(local: str) -> None:
        give_passwords(partnership, PASSWORD, people=(local,))
        sign_in(client, email(local))

    return sign


def tasks(client: TestClient, reference: str) -> dict[str, tuple[str, str | None]]:
    """Each part on the audit page: its status, and where its link goes (None: no link)."""
    page = client.get(f"/audits/{reference}")
    assert page.status_code == 200
    found = {}
    for item in re.findall(r'<li class="task-list-item">(.*?)</li>', page.text, re.S):
        name = re.search(r'id="task-([a-z-]+)-status">(.*?)</div>', item, re.S)
        assert name is not None
        link = re.search(r'<a href="([^"]+)"', item)
        status = html.unescape(re.sub(r"<[^>]+>", "", name.group(2))).strip()
        found[name.group(1)] = (status, link.group(1) if link else None)
    return found


def step_form(page: str, trigger: str) -> dict[str, str]:
    """The hidden fields of the step's form, as the browser would send them."""
    form = page.split(f'name="trigger" value="{trigger}"')[1].split("</form>", maxsplit=1)[0]
    version = re.search(r'name="version" value="(\d+)"', form)
    assert version is not None
    return {"csrf_token": csrf_of(page), "trigger": trigger, "version": version.group(1)}


def test_the_task_list_follows_a_mace(
    partnership: Deps, client: TestClient, as_person: SignIn
) -> None:
    driver = Driver.start(partnership, "mace")
    ref = driver.reference
    as_person("coordinator")
    found = tasks(client, ref)
    assert list(found) == [
        "terms",
        "sample",
        "auditors",
        "returns",
        "deep-dive",
        "moderation",
        "meeting",
        "feedback",
        "report",
        "sign-off",
        "sharing",
        "actions",
        "close",
    ]
    assert found["terms"] == ("Not started", f"/audits/{ref}/terms")
    assert found["sample"] == ("Cannot start yet", None)
    driver.advance("returns_open")
    found = tasks(client, ref)
    assert found["auditors"] == ("Completed", f"/audits/{ref}/auditors")
    assert found["returns"] == ("In progress", f"/audits/{ref}/returns")
    assert found["report"] == ("Cannot start yet", None)
    driver.advance("moderation")
    assert tasks(client, ref)["meeting"] == ("Not started", f"/audits/{ref}/meeting")
    driver.advance("awaiting_sign_off")
    found = tasks(client, ref)
    assert found["meeting"] == ("Not needed for this audit", None)
    assert found["report"] == ("Completed", f"/audits/{ref}/report")
    assert found["sign-off"] == ("In progress", f"/audits/{ref}/sign-off")
    driver.advance("impact_monitoring")
    found = tasks(client, ref)
    assert found["sharing"] == ("Completed", f"/audits/{ref}/sharing")
    assert found["actions"] == ("Not started", "#actions")
    assert found["close"] == ("Not started", f"/audits/{ref}/stages")


def test_the_task_list_follows_a_section_175(
    partnership: Deps, client: TestClient, as_person: SignIn
) -> None:
    driver = drive(partnership, "section_175", "returns_open")
    as_person("coordinator")
    found = tasks(client, driver.reference)
    for part in ("terms", "sample", "auditors"):
        assert found[part] == ("Not needed for this type", None)
    assert found["returns"][0] == "In progress"
    driver.advance("individual_feedback")
    found = tasks(client, driver.reference)
    assert found["returns"][0] == "Completed" and found["moderation"][0] == "Completed"
    assert found["feedback"] == ("Not started", f"/audits/{driver.reference}/feedback")
    assert found["report"][0] == "Cannot start yet"


def test_each_step_is_a_form_showing_what_blocks_it(
    partnership: Deps, client: TestClient, as_person: SignIn
) -> None:
    ref = drive(partnership, "mace", "returns_open").reference
    as_person("coordinator")
    page = client.get(f"/audits/{ref}/stages").text
    assert '<button type="submit" id="take-close_returns">Close case audits</button>' in page
    blocking = page.split("What stands in its way:")[1].split("</ul>")[0]
    assert "Northvale Police (3 cases)" in blocking
    assert "Reason (optional)" in page
    assert f'href="/audits/{ref}/withdraw"' in page


def test_a_step_taken(partnership: Deps, client: TestClient, as_person: SignIn) -> None:
    driver = drive(partnership, "mace", "moderation")
    driver.moderate_findings()
    as_person("chair")
    page = client.get(f"/audits/{driver.reference}/stages").text
    assert "Nothing stands in its way now." in page
    sent = {**step_form(page, "complete_moderation"), "reason": "Moderated at the panel"}
    response = client.post(f"/audits/{driver.reference}/do/step", data=sent, follow_redirects=False)
    assert response.status_code == 303
    done = f"/audits/{driver.reference}/stages?done=complete_moderation"
    assert response.headers["location"] == done
    shown = html.unescape(client.get(done).text)
    assert "Done: Complete moderation." in shown and "“Summary report drafting”" in shown
    assert state(partnership, driver.reference) == "report_drafting"


def test_a_blocked_step_is_refused_beside_its_form(
    partnership: Deps, client: TestClient, as_person: SignIn
) -> None:
    ref = drive(partnership, "mace", "returns_open").reference
    as_person("coordinator")
    page = client.get(f"/audits/{ref}/stages").text
    sent = {**step_form(page, "close_returns"), "reason": TYPED}
    response = client.post(f"/audits/{ref}/do/step", data=sent)
    assert response.status_code == 400
    assert "<title>Error: Next steps" in response.text
    beside = html.unescape(response.text.split('id="step-close_returns-error">')[1])
    said = beside.split("</p>")[0]
    assert said.startswith(
        '<span class="visually-hidden">Error: </span>Could not close case audits:'
    )
    assert "Northvale Police (3 cases)" in said
    assert html.escape(TYPED) in response.text.split('id="reason-close_returns"')[1]
    assert 'href="#take-close_returns"' in response.text
    assert state(partnership, ref) == "returns_open"


def test_a_form_sent_twice_takes_its_step_once(
    partnership: Deps, client: TestClient, as_person: SignIn
) -> None:
    driver = drive(partnership, "mace", "returns_open")
    driver.collect_returns()
    as_person("chair")
    page = client.get(f"/audits/{driver.reference}/stages").text
    sent = step_form(page, "close_returns")
    for _ in range(2):
        response = client.post(
            f"/audits/{driver.reference}/do/step", data=sent, follow_redirects=False
        )
        assert response.status_code == 303
    assert [t for t, _ in history(partnership, driver.reference)].count("close_returns") == 1


def test_a_chairs_step_is_not_a_learning_hub_members(
    partnership: Deps, client: TestClient, as_person: SignIn
) -> None:
    driver = drive(partnership, "mace", "moderation")
    driver.moderate_findings()
    as_person("lhm")
    page = client.get(f"/audits/{driver.reference}/stages").text
    assert "Only the chair may take this step." in page
    assert 'id="take-complete_moderation"' not in page
    sent = {
        "csrf_token": csrf_of(page),
        "trigger": "complete_moderation",
        "version": "1",
        "reason": "",
    }
    response = client.post(f"/audits/{driver.reference}/do/step", data=sent)
    assert response.status_code == 403
    assert "only the chair may complete moderation" in html.unescape(response.text)
    assert state(partnership, driver.reference) == "moderation"


def test_closing_lists_what_still_blocks_it(
    partnership: Deps, client: TestClient, as_person: SignIn
) -> None:
    driver = drive(partnership, "mace", "impact_monitoring")
    actions.add_action(
        partnership,
        audit=driver.reference,
        actor=email("chair"),
        recommendation="Share strategy meeting minutes with every agency invited.",
        owner="police",
        due_on=partnership.clock.now().astimezone(LONDON).date() + timedelta(days=28),
    )
    as_person("coordinator")
    page = html.unescape(client.get(f"/audits/{driver.reference}/stages").text)
    closing = page.split('<h2 id="step-close">Close the audit</h2>')[1].split("</section>")[0]
    assert "Northvale Police" in closing.split("What stands in its way:")[1]
    assert '<button type="submit" id="take-close">Close the audit</button>' in closing


def test_signed_out_people_are_sent_to_sign_in(
    partnership: Deps, client: TestClient, as_person: SignIn
) -> None:
    ref = drive(partnership, "mace", "planning").reference
    for part in ("stages", "withdraw", "sign-off"):
        response = client.get(f"/audits/{ref}/{part}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/signin?next=/audits/{ref}/{part}"
    as_person("coordinator")
    page = client.get(f"/audits/{ref}/stages").text
    client.post("/signout", data={"csrf_token": csrf_of(page)})
    sent = {**step_form(page, "agree_terms_of_reference"), "reason": ""}
    response = client.post(f"/audits/{ref}/do/step", data=sent, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")
    assert state(partnership, ref) == "planning"
