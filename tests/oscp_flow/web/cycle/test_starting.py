"""Starting an audit in the browser (issue 17 item 1): by hand or from a programme entry, the
engine's refusals beside their fields with what was typed kept, the start said on a page of
its own with whom nobody can ask for a return, a form sent twice starting one audit, and
only a coordinator starting one."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from states.rules.directory import AgencyKind, Phase
from states.services import partnership as directory
from states.services import programme, queries
from states.services.deps import Deps
from tests.conftest import ROOT
from tests.oscp_flow.web.support import csrf_of
from tests.support.partnership import agency_name, email, give_passwords, person_name
from tests.support.web import PASSWORD, sign_in

PROGRAMME = ROOT / "definitions" / "programme" / "oscp-2025-28.yaml"
THEME = "Neglect <b>and</b> {{7*7}}"
STARTED = re.compile(r"^/audits/(AUD-[0-9A-Z]{8})/started$")
REQUEST = re.compile(r'name="request" value="([^"]+)"')


@pytest.fixture
def people(partnership: Deps) -> Deps:
    give_passwords(partnership, PASSWORD, people=("coordinator",))
    return partnership


Form = dict[str, str | list[str]]


def _form(client: TestClient, fields: Form, path: str = "/audits/new") -> Form:
    """``fields`` with the form's token and the start's request key, as the page gave them."""
    page = client.get(path)
    assert page.status_code == 200
    found = REQUEST.search(page.text)
    assert found is not None
    return {"csrf_token": csrf_of(page.text), "request": found[1], **fields}


def _started(response: Response) -> str:
    location = response.headers["location"]
    found = STARTED.match(location)
    assert found is not None, location
    return found[1]


def test_signed_out_people_are_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/audits/new", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/audits/new"


def test_the_question_page_offers_types_chairs_and_agencies(
    people: Deps, client: TestClient
) -> None:
    sign_in(client, email("coordinator"))
    page = client.get("/audits/new")
    assert page.status_code == 200
    assert "Thematic multi-agency case file audit (MACE)" in page.text
    assert 'value="mace"' in page.text
    signing_in, others = page.text.split('label="Everyone else in the directory"')
    assert person_name("chair") in signing_in and person_name("lhm") in signing_in
    assert person_name("lead.police") in others
    assert "Audit engine" not in page.text  # the engine's own account never chairs
    assert agency_name("police") in page.text
    assert "Schools and settings taking part" not in page.text  # the directory has none


def test_a_coordinator_starts_an_audit_and_is_told_whom_nobody_can_ask(
    people: Deps, client: TestClient
) -> None:
    sign_in(client, email("coordinator"))
    form = _form(
        client,
        {
            "audit_type": "section_11",
            "theme": THEME,
            "chair": email("chair"),
            "agencies": ["police", "housing"],
            "started_on": "2026-03-02",
        },
    )
    response = client.post("/start-audit", data=form, follow_redirects=False)
    assert response.status_code == 303
    reference = _started(response)
    status = queries.audit_status(people, audit=reference, as_person=email("coordinator"))
    assert (status.audit_type, status.theme, status.lead) == (
        "section_11",
        THEME,
        person_name("chair"),
    )
    page = client.get(f"/audits/{reference}/started")
    assert page.status_code == 200
    assert f"Audit {reference} is started" in page.text
    assert "Neglect &lt;b&gt;and&lt;/b&gt; {{7*7}}" in page.text
    # Northvale Homes has no agency lead; the police have one.
    warning = page.text.split('id="unasked"')[1].split("</div>")[0]
    assert agency_name("housing") in warning and agency_name("police") not in warning
    assert f'href="/audits/{reference}/terms"' in page.text


def test_sending_the_form_twice_starts_one_audit(people: Deps, client: TestClient) -> None:
    sign_in(client, email("coordinator"))
    form = _form(client, {"audit_type": "mace", "theme": "Neglect", "chair": email("chair")})
    first = _started(client.post("/start-audit", data=form, follow_redirects=False))
    again = _started(client.post("/start-audit", data=form, follow_redirects=False))
    assert first == again
    assert len(queries.list_audits(people)) == 1


def test_missing_answers_are_asked_for_beside_each_field(people: Deps, client: TestClient) -> None:
    sign_in(client, email("coordinator"))
    form = _form(client, {"theme": "", "agencies": ["csc"], "started_on": "2 March"})
    response = client.post("/start-audit", data=form, follow_redirects=False)
    assert response.status_code == 400
    for field, said in (
        ("audit_type", "Choose the type of audit."),
        ("theme", "Enter the audit&#39;s theme."),
        ("chair", "Choose who will chair the audit."),
        ("started_on", "Enter the start date as a date, for example 2027-03-31."),
    ):
        assert f'<a href="#{field}">{said}</a>' in response.text
        assert f'id="{field}-error"' in response.text
    assert 'value="2 March"' in response.text
    assert re.search(r'value="csc" checked', response.text)
    assert response.text.count(str(form["request"])) == 1  # the same start, when sent again
    assert queries.list_audits(people) == []


@pytest.mark.parametrize(
    ("change", "field", "said"),
    [
        ({"agencies": ["police", "nowhere"]}, "agencies", "No agency &#39;nowhere&#39; was found"),
        ({"audit_type": "no_such_type"}, "audit_type", "There is no audit type called"),
        ({"chair": "nobody@example.org"}, "chair", "No person &#39;nobody@example.org&#39;"),
        ({"theme": "x" * 201}, "start", "Give the audit a theme of 1 to 200 characters."),
    ],
)
def test_the_engines_refusal_is_shown_beside_its_field_with_everything_kept(
    people: Deps, client: TestClient, change: Form, field: str, said: str
) -> None:
    sign_in(client, email("coordinator"))
    typed: Form = {"audit_type": "mace", "theme": "Neglect", "chair": email("chair"), **change}
    response = client.post("/start-audit", data=_form(client, typed), follow_redirects=False)
    assert response.status_code == 400
    error = response.text.split(f'id="{field}-error">')[1].split("</p>", maxsplit=1)[0]
    assert said in error
    assert f'<a href="#{field}">' in response.text
    assert f'value="{typed["theme"]}"' in response.text
    assert f'value="{email("chair")}" selected' in response.text or field == "chair"
    assert queries.list_audits(people) == []


def test_only_a_coordinator_starts_an_audit(people: Deps, client: TestClient) -> None:
    sign_in(client, email("coordinator"))
    form = _form(client, {"audit_type": "mace", "theme": "Neglect", "chair": email("chair")})
    give_passwords(people, PASSWORD, people=("lhm",))
    sign_in(client, email("lhm"))
    assert client.get("/audits/new").status_code == 403
    refused = client.post("/start-audit", data=form)  # the form's own cookie is still held
    assert refused.status_code == 403
    assert "Only a coordinator can start an audit" in refused.text
    assert queries.list_audits(people) == []


def test_starting_from_a_programme_entry_links_the_audit_to_it(
    people: Deps, client: TestClient
) -> None:
    programme.load_programme(people, PROGRAMME)
    sign_in(client, email("coordinator"))
    board = client.get("/board").text
    assert 'href="/audits/new"' in board
    assert 'href="/audits/new?entry=syv-mace"' in board
    page = client.get("/audits/new?entry=syv-mace")
    assert "Start the audit for programme entry syv-mace" in page.text
    assert 'name="theme"' not in page.text  # the plan's theme and type are the audit's
    form = _form(
        client, {"entry": "syv-mace", "chair": email("chair")}, "/audits/new?entry=syv-mace"
    )
    reference = _started(client.post("/start-audit", data=form, follow_redirects=False))
    entry = next(e for e in programme.list_entries(people) if e.key == "syv-mace")
    assert entry.audit_reference == reference
    assert 'href="/audits/new?entry=syv-mace"' not in client.get("/board").text

    again = client.post("/start-audit", data=form, follow_redirects=False)
    assert again.status_code == 400
    assert f"already has audit {reference}" in again.text
    assert client.get("/audits/new?entry=no-such-entry").status_code == 404


def test_the_board_offers_starting_to_coordinators_only(people: Deps, client: TestClient) -> None:
    programme.load_programme(people, PROGRAMME)
    give_passwords(people, PASSWORD, people=("lhm",))
    sign_in(client, email("lhm"))
    board = client.get("/board").text
    assert "/audits/new" not in board


def test_all_schools_and_settings_take_part_in_a_section_175(
    people: Deps, client: TestClient
) -> None:
    for urn, name, phase in (
        ("100001", "Northvale Primary", Phase.PRIMARY),
        ("100002", "Northvale High", Phase.SECONDARY),
    ):
        directory.add_agency(
            people, code=f"s{urn}", name=name, kind=AgencyKind.SCHOOL, urn=urn, phase=phase
        )
    sign_in(client, email("coordinator"))
    page = client.get("/audits/new").text
    assert "All schools and settings (2)" in page
    assert "Primary schools" in page and "Secondary schools" in page
    wanted: Form = {"audit_type": "section_175", "theme": "2026", "all_settings": "yes"}
    form = _form(client, {**wanted, "chair": email("chair")})
    reference = _started(client.post("/start-audit", data=form, follow_redirects=False))
    warning = client.get(f"/audits/{reference}/started").text.split('id="unasked"')[1]
    assert "Northvale Primary" in warning and "Northvale High" in warning
