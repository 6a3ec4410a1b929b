"""The directory's coordinator pages over HTTP: coordinators only (403 for anyone else), CSRF
on every form, an upload's dry run then its confirmation (exactly the plan shown, only from
the session that uploaded it), and the refusals: a stale plan, a file too large, a corrupt
file, bad rows by sheet, row and column. Nothing is stored by any refused upload."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from oscp_flow.excel.directory_book import MAX_BYTES
from oscp_flow.settings import Settings
from oscp_flow.web import directory_uploads as uploads
from oscp_flow.web.directory_forms import NOTHING
from oscp_flow.web.directory_import import STALE
from states.rules.directory import Part
from states.services import directory, directory_agencies, people
from states.services.deps import Deps
from tests.oscp_flow.web.conftest import MakeClient
from tests.oscp_flow.web.support import csrf_of
from tests.support.directory_corpus import GOOD, LEAD, edited, good_book
from tests.support.partnership import email, give_passwords
from tests.support.web import PASSWORD, sign_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HIDDEN = re.compile(r'name="(upload|plan)" value="([^"]+)"')


@pytest.fixture
def coordinator(partnership: Deps, client: TestClient) -> TestClient:
    give_passwords(partnership, PASSWORD)
    assert sign_in(client, email("coordinator")).status_code == 303
    return client


def _upload(client: TestClient, name: str, data: bytes, token: str | None = None) -> Response:
    token = token if token is not None else csrf_of(client.get("/directory/import").text)
    return client.post(
        "/directory/import", data={"csrf_token": token}, files={"file": (name, data, XLSX)}
    )


def _confirm_form(
    html: str, reason: str = "Directory from the council's HR list"
) -> dict[str, str]:
    hidden = dict(_HIDDEN.findall(html))
    return {"csrf_token": csrf_of(html), "reason": reason, **hidden}


def _stored(deps: Deps) -> set[str]:
    return set(directory.snapshot(deps, viewer=email("coordinator")).agencies)


def test_an_upload_is_shown_then_stored_as_shown(
    partnership: Deps, coordinator: TestClient
) -> None:
    dry = _upload(coordinator, "directory.xlsx", good_book())
    assert dry.status_code == 200, dry.text
    assert "This is a dry run: nothing has been stored yet" in dry.text
    assert "em_council" in dry.text and "em_council" not in _stored(partnership)
    done = coordinator.post("/directory/import/confirm", data=_confirm_form(dry.text))
    assert done.status_code == 200 and "The directory is imported" in done.text
    assert set(GOOD.agencies) <= _stored(partnership)
    entries = directory.log(partnership, viewer=email("coordinator"), agency="em_council")
    assert [e.reason for e in entries] == ["Directory from the council's HR list"]
    # The upload is gone once stored: the same form cannot apply it twice.
    again = coordinator.post("/directory/import/confirm", data=_confirm_form(dry.text))
    assert again.status_code == 404


def test_a_confirmation_needs_a_reason(partnership: Deps, coordinator: TestClient) -> None:
    dry = _upload(coordinator, "directory.xlsx", good_book())
    refused = coordinator.post("/directory/import/confirm", data=_confirm_form(dry.text, " "))
    assert refused.status_code == 400 and "Say why" in refused.text
    assert "em_council" not in _stored(partnership)


def test_a_plan_made_stale_stores_nothing(partnership: Deps, coordinator: TestClient) -> None:
    dry = _upload(coordinator, "directory.xlsx", good_book())
    # Someone else adds one of the file's agencies between the dry run and the confirmation.
    directory_agencies.add_agency(
        partnership,
        code="em_council",
        name="Eastmoor Council",
        kind="local_authority",
        actor=email("coordinator"),
        reason="Added by hand meanwhile",
    )
    refused = coordinator.post("/directory/import/confirm", data=_confirm_form(dry.text))
    assert refused.status_code == 409
    assert STALE.split(",")[0] in refused.text
    assert "em_trust" not in _stored(partnership)


def test_an_upload_belongs_to_its_session(
    partnership: Deps, coordinator: TestClient, make_client: MakeClient
) -> None:
    dry = _upload(coordinator, "directory.xlsx", good_book())
    other = make_client(rate_limit_enabled=False)
    assert sign_in(other, email("coordinator")).status_code == 303
    form = {**_confirm_form(dry.text), "csrf_token": csrf_of(other.get("/directory/import").text)}
    assert other.post("/directory/import/confirm", data=form).status_code == 404
    assert "em_council" not in _stored(partnership)


def test_bad_rows_are_listed_by_sheet_row_and_column(
    partnership: Deps, coordinator: TestClient
) -> None:
    def wrong(book: object) -> None:
        book["agencies"]["C2"] = "constabulary"  # type: ignore[index]

    refused = _upload(coordinator, "directory.xlsx", edited(wrong))
    assert refused.status_code == 400
    assert '<td>Sheet &#39;agencies&#39;</td><td class="number">2</td><td>kind</td>' in (
        refused.text
    )
    assert "em_council" not in _stored(partnership)


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("directory.xlsx", b"PK\x03\x04 not really a workbook", "not an Excel workbook"),
        ("directory.xlsm", good_book(), "macro-enabled workbook"),
        ("notes.txt", b"hello", "is neither a workbook"),
    ],
)
def test_a_corrupt_or_wrong_file_is_refused(
    partnership: Deps, coordinator: TestClient, name: str, data: bytes, says: str
) -> None:
    refused = _upload(coordinator, name, data)
    assert refused.status_code == 400 and says in refused.text, refused.text
    assert "em_council" not in _stored(partnership)


def test_an_upload_too_big_is_refused_before_it_is_read(
    partnership: Deps, coordinator: TestClient
) -> None:
    refused = _upload(coordinator, "directory.xlsx", b"x" * (MAX_BYTES + 100_000))
    assert refused.status_code == 413
    assert "larger than 10 MB" in refused.text and "At most 10 MB" in refused.text


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/directory/import", {}),
        ("/directory/import/confirm", {"upload": "x", "plan": "y", "reason": "r"}),
        ("/directory/agencies/police", {"change": "deactivate", "reason": "r"}),
        ("/directory/bodies/x/members", {"member_change": "add", "email": "a@b", "reason": "r"}),
        ("/directory/add/agencies", {"code": "x", "name": "X", "kind": "police", "reason": "r"}),
        ("/directory/change/agencies/police", {"name": "X", "kind": "police", "reason": "r"}),
        ("/people/change/1", {"name": "X", "reason": "r"}),
    ],
)
def test_every_form_needs_its_token(
    coordinator: TestClient, path: str, form: dict[str, str]
) -> None:
    assert coordinator.post(path, data=form).status_code == 403
    forged = coordinator.post(path, data={**form, "csrf_token": "forged"})
    assert forged.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/directory",
        "/directory/agencies",
        "/directory/settings",
        "/people",
        "/directory/bodies",
        "/directory/log",
        "/directory/import",
        "/directory/template.xlsx",
        "/directory/agencies/police",
    ],
)
def test_only_a_coordinator_may_see_the_directory(
    partnership: Deps, client: TestClient, path: str
) -> None:
    give_passwords(partnership, PASSWORD)
    assert sign_in(client, email("chair")).status_code == 303  # a learning hub member
    assert client.get(path).status_code == 403


def test_a_member_may_not_upload(partnership: Deps, client: TestClient) -> None:
    give_passwords(partnership, PASSWORD)
    assert sign_in(client, email("chair")).status_code == 303
    token = csrf_of(client.get("/board").text)
    assert _upload(client, "directory.xlsx", good_book(), token).status_code == 403
    assert "em_council" not in _stored(partnership)


def test_search_deactivate_and_membership(partnership: Deps, coordinator: TestClient) -> None:
    dry = _upload(coordinator, "directory.xlsx", good_book())
    coordinator.post("/directory/import/confirm", data=_confirm_form(dry.text))
    found = coordinator.get("/directory/settings", params={"search": "nursery"})
    assert "1 of" in found.text and "Eastmoor Nursery" in found.text
    assert "Eastmoor Primary" not in found.text
    page = coordinator.get("/directory/settings/2400002")
    assert page.status_code == 200 and "Deactivate Eastmoor Nursery" in page.text
    form = {"csrf_token": csrf_of(page.text), "change": "deactivate", "reason": "Closed"}
    done = coordinator.post("/directory/settings/2400002", data=form)
    assert done.status_code == 200 and "Eastmoor Nursery is deactivated" in done.text
    assert (
        not directory.snapshot(partnership, viewer=email("coordinator")).settings["2400002"].active
    )
    body = coordinator.get("/directory/bodies/em_hub")
    leaving = {
        "csrf_token": csrf_of(body.text),
        "member_change": "remove",
        "email": LEAD,
        "reason": "Moved on",
    }
    left = coordinator.post("/directory/bodies/em_hub/members", data=leaving)
    assert left.status_code == 200 and "no longer a member" in left.text
    members = directory.snapshot(partnership, viewer=email("coordinator")).bodies["em_hub"].members
    assert LEAD not in members
    log = coordinator.get("/directory/log")
    assert "Moved on" in log.text and "Closed" in log.text
    assert Part.BODIES.value in coordinator.get("/directory").text.lower()


# --- adding and changing entries, and abandoned uploads ---------------------------------------

COORDINATOR = email("coordinator")
ADDED = [
    ("agencies", {"code": "nv_ambulance", "name": "Northvale Ambulance", "kind": "health_trust"}),
    (
        "settings",
        {
            "urn": "1400099",
            "code": "nv_high",
            "name": "Northvale High",
            "kind": "school",
            "phase": "secondary",
        },
    ),
    ("bodies", {"code": "nv_pg", "name": "Performance Group", "kind": "performance_group"}),
]


def _post(client: TestClient, path: str, form: Mapping[str, str | list[str]]) -> Response:
    token = csrf_of(client.get(path).text)
    return client.post(path, data={"csrf_token": token, **form})


def _person_id(deps: Deps, local: str) -> int:
    everyone = people.directory(deps, viewer=COORDINATOR)
    return next(p.id for p in everyone if p.email == email(local))


def _reasons(
    deps: Deps, *, person: str | None = None, agency: str | None = None, body: str | None = None
) -> list[str]:
    logged = directory.log(deps, viewer=COORDINATOR, person=person, agency=agency, body=body)
    return [e.reason for e in logged]


@pytest.mark.parametrize(("part", "form"), ADDED)
def test_an_agency_setting_or_body_is_added_with_its_reason(
    partnership: Deps, coordinator: TestClient, part: str, form: dict[str, str]
) -> None:
    done = _post(coordinator, f"/directory/add/{part}", {**form, "reason": "New to the area"})
    assert done.status_code == 200 and "is added to the directory" in done.text, done.text
    key = form.get("urn", form["code"])
    assert done.url.path == f"/directory/{part}/{key}"
    about = (
        _reasons(partnership, body=key) if part == "bodies" else _reasons(partnership, agency=key)
    )
    assert about == ["New to the area"]


def test_a_person_is_added_with_their_agency_and_roles(
    partnership: Deps, coordinator: TestClient
) -> None:
    form: dict[str, str | list[str]] = {
        "email": "Drew.Kell@Police.Example",
        "name": "Drew Kell",
        "agency": "police",
        "roles": ["agency_lead", "strategic_lead"],
        "reason": "Joined the police team",
    }
    done = _post(coordinator, "/directory/add/people", form)
    assert done.status_code == 200 and "Drew Kell is added to the directory" in done.text
    added = directory.snapshot(partnership, viewer=COORDINATOR).people["drew.kell@police.example"]
    assert (added.agency, added.roles) == ("police", frozenset({"agency_lead", "strategic_lead"}))
    assert _reasons(partnership, person=added.email) == ["Joined the police team"]


def test_an_agency_and_a_body_are_changed(partnership: Deps, coordinator: TestClient) -> None:
    page = coordinator.get("/directory/agencies/probation")
    assert 'href="/directory/change/agencies/probation"' in page.text
    form = {"name": "Northvale Probation Service", "kind": "justice", "reason": "Renamed"}
    done = _post(coordinator, "/directory/change/agencies/probation", form)
    assert done.status_code == 200 and "Northvale Probation Service is changed" in done.text
    _post(coordinator, "/directory/add/bodies", {**ADDED[2][1], "reason": "Set up"})
    form = {"name": "Performance Group", "kind": "subgroup", "reason": "Now a subgroup"}
    assert _post(coordinator, "/directory/change/bodies/nv_pg", form).status_code == 200
    whole = directory.snapshot(partnership, viewer=COORDINATOR)
    assert whole.agencies["probation"].name == "Northvale Probation Service"
    assert whole.bodies["nv_pg"].kind == "subgroup"
    assert _reasons(partnership, agency="probation") == ["Renamed"]
    assert _reasons(partnership, body="nv_pg") == ["Now a subgroup", "Set up"]


def test_a_setting_changes_phase(partnership: Deps, coordinator: TestClient) -> None:
    _post(coordinator, "/directory/add/settings", {**ADDED[1][1], "reason": "Opened"})
    page = coordinator.get("/directory/change/settings/1400099")
    assert '<option value="secondary" selected>' in page.text  # today's values, to change
    form = {"name": "Northvale High", "kind": "school", "phase": "all_through", "reason": "Merged"}
    assert _post(coordinator, "/directory/change/settings/1400099", form).status_code == 200
    setting = directory.snapshot(partnership, viewer=COORDINATOR).settings["1400099"]
    assert setting.phase == "all_through"
    assert _reasons(partnership, agency="1400099") == ["Merged", "Opened"]


def test_a_person_moves_agency_and_changes_roles(
    partnership: Deps, coordinator: TestClient
) -> None:
    person = _person_id(partnership, "lead.police")
    assert f'href="/people/change/{person}"' in coordinator.get(f"/people/{person}").text
    form: dict[str, str | list[str]] = {
        "name": "Sol Bramwell",
        "agency": "csc",
        "roles": ["auditor"],
        "reason": "Moved",
    }
    done = _post(coordinator, f"/people/change/{person}", form)
    assert done.status_code == 200 and "Sol Bramwell is changed" in done.text
    moved = directory.snapshot(partnership, viewer=COORDINATOR).people[email("lead.police")]
    assert (moved.agency, moved.roles) == ("csc", frozenset({"auditor"}))
    logged = directory.log(partnership, viewer=COORDINATOR, person=email("lead.police"))
    assert {(e.change, e.role) for e in logged} == {
        ("changed", None),
        ("role_granted", "auditor"),
        ("role_removed", "agency_lead"),
    }
    assert {e.reason for e in logged} == {"Moved"}


@pytest.mark.parametrize(
    ("path", "form", "field", "says"),
    [
        ("/directory/add/agencies", {"code": "", "kind": ""}, "code", "code must be up to 40"),
        ("/directory/add/agencies", {"code": "x", "kind": ""}, "kind", "Choose the kind."),
        ("/directory/add/agencies", {"code": "x", "kind": "police", "name": ""}, "name", "Give"),
        ("/directory/add/agencies", {"code": "x", "kind": "police", "reason": ""}, "reason", "Say"),
        ("/directory/add/agencies", {"code": "police", "kind": "police"}, "code", "already"),
        ("/directory/add/settings", {"urn": "12", "kind": "school"}, "urn", "6 or 7 digit"),
        ("/directory/add/settings", {"kind": "school", "phase": "x"}, "phase", "Choose one of"),
        ("/directory/add/people", {"email": "nobody"}, "email", "not an e-mail address"),
        ("/directory/add/people", {"email": COORDINATOR}, "email", "already in the directory"),
        ("/directory/add/people", {"roles": ["system"]}, "roles", "Choose only the roles"),
        ("/directory/add/bodies", {"code": "b", "kind": "council"}, "kind", "Choose one of"),
        ("/directory/change/agencies/police", {"kind": "police"}, "name", NOTHING.split(":")[0]),
    ],
)
def test_each_refusal_is_shown_beside_its_field_with_the_values_kept(
    partnership: Deps,
    coordinator: TestClient,
    path: str,
    form: dict[str, str | list[str]],
    field: str,
    says: str,
) -> None:
    before = len(directory.log(partnership, viewer=COORDINATOR))
    refused = _post(coordinator, path, {"name": "Northvale Police", "reason": "Checking", **form})
    assert refused.status_code == 400, refused.text
    summary = refused.text.split('<h1 id="form-heading">')[0]
    assert f'href="#{field}"' in summary and says in summary
    assert f'<p class="error-message" id="{field}-error">' in refused.text
    assert 'value="Northvale Police"' in refused.text or field == "name"  # kept to correct
    assert len(directory.log(partnership, viewer=COORDINATOR)) == before


@pytest.mark.parametrize(
    "path",
    ["/directory/add/agencies", "/directory/add/people", "/directory/change/bodies/x"],
)
def test_only_a_coordinator_may_add_or_change(
    partnership: Deps, client: TestClient, path: str
) -> None:
    give_passwords(partnership, PASSWORD)
    assert sign_in(client, email("chair")).status_code == 303
    assert client.get(path).status_code == 403
    token = csrf_of(client.get("/board").text)
    form = {"csrf_token": token, "code": "nv_x", "name": "X", "kind": "police", "reason": "r"}
    assert client.post(path, data=form).status_code == 403
    assert "nv_x" not in _stored(partnership)


def test_an_abandoned_upload_is_removed_by_the_next(
    partnership: Deps, coordinator: TestClient, web_settings: Settings
) -> None:
    now = partnership.clock.now()
    given = [uploads.Given("directory.xlsx", b"abandoned")]
    old = uploads.keep(web_settings.home, 1, given, now=now - timedelta(days=1, minutes=1))
    recent = uploads.keep(web_settings.home, 1, given, now=now - timedelta(hours=23))
    page = coordinator.get("/directory/import")
    assert "deleted a day after it was uploaded" in " ".join(page.text.split())
    assert _upload(coordinator, "directory.xlsx", good_book()).status_code == 200
    kept = {p.name for p in (web_settings.home / "uploads" / "directory").iterdir()}
    assert old not in kept and recent in kept and len(kept) == 2
