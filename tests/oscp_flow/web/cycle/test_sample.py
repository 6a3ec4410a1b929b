"""An audit's sample in the browser (issue 17, item 2): a cases file uploaded and checked
(each case with its line, agencies and window; nothing stored), then confirmed (checked again,
and stored once however often the confirmation is sent); a file with bad rows refused row by
row; only the chair and coordinators read it, only coordinators change it."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from oscp_flow.web.cycle.common import UPLOAD_BYTES
from states.services import audits, sample_view
from states.services.deps import Deps
from tests.oscp_flow.web.support import csrf_of
from tests.support.partnership import agency_name, email, give_passwords
from tests.support.terms import record_terms
from tests.support.web import PASSWORD, sign_in

# A case's row on the check page: its line and reference.
ROW = r'<td class="number">(\d+)</td>\s*<th scope="row" class="ref">([^<]+)<'
HEADER = "reference,agencies,first_intervention_on,last_intervention_on\n"
# The tests' audits start on 2 March 2026: a MACE looks back 12 months.
GOOD = HEADER + "NV-001,police;csc,2025-09-01,2026-01-05\nNV-002,police,,2024-06-01\n"


@pytest.fixture
def people(partnership: Deps) -> Deps:
    give_passwords(partnership, PASSWORD)  # the coordinator and the chair
    return partnership


def planned(deps: Deps) -> str:
    """A MACE chaired by the chair, its terms agreed: ready for its sample."""
    reference = audits.start_audit(
        deps, audit_type="mace", theme="Neglect", lead=email("chair"), actor=email("coordinator")
    ).reference
    record_terms(deps, reference)
    audits.fire(deps, audit=reference, trigger="agree_terms_of_reference", actor=email("chair"))
    return reference


def upload(client: TestClient, reference: str, text: str | bytes) -> Response:
    token = csrf_of(client.get(f"/audits/{reference}/sample").text)
    return client.post(
        f"/audits/{reference}/do/sample-check",
        data={"csrf_token": token},
        files={"file": ("cases.csv", text, "text/csv")},
    )


def store(client: TestClient, reference: str, text: str) -> None:
    form = confirm_form(upload(client, reference, text).text)
    stored = client.post(f"/audits/{reference}/do/sample-confirm", data=form)
    assert stored.status_code == 200


def confirm_form(page: str) -> dict[str, str]:
    found = re.search(r'name="cases" value="([^"]+)"', page)
    assert found is not None, "the check page has no confirm form"
    return {"csrf_token": csrf_of(page), "cases": found[1]}


def sampled(deps: Deps, reference: str) -> list[str]:
    view = sample_view.sample_of(deps, audit=reference, as_person=email("coordinator"))
    return [c.reference for c in view.cases]


def error_beside(page: str, field: str) -> str:
    beside = page.split(f'id="{field}-error">')[1].split("</p>", maxsplit=1)[0]
    return html.unescape(beside.split("</span>")[1])


def test_signed_out_people_are_sent_to_sign_in(people: Deps, client: TestClient) -> None:
    reference = planned(people)
    response = client.get(f"/audits/{reference}/sample", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next=/audits/{reference}/sample"


def test_the_chair_checks_a_file_then_confirms_it_once(people: Deps, client: TestClient) -> None:
    reference = planned(people)
    sign_in(client, email("chair"))
    empty = client.get(f"/audits/{reference}/sample")
    assert empty.status_code == 200 and "No case is sampled yet." in empty.text
    assert "between 2 March 2025 and 2 March 2026" in empty.text

    check = upload(client, reference, GOOD)
    assert check.status_code == 200, check.text
    assert "Check the cases before they are added" in check.text
    rows = re.findall(
        r'<td class="number">(\d+)</td>\s*<th scope="row" class="ref">([^<]+)<', check.text
    )
    assert rows == [("2", "NV-001"), ("3", "NV-002")]
    assert agency_name("csc") in html.unescape(check.text)
    assert "1 case has no\n  intervention in the window" in check.text
    assert sampled(people, reference) == []  # nothing stored by the check

    form = confirm_form(check.text)
    stored = client.post(
        f"/audits/{reference}/do/sample-confirm", data=form, follow_redirects=False
    )
    assert stored.status_code == 303
    assert stored.headers["location"] == f"/audits/{reference}/sample?done=stored&count=2"
    assert sampled(people, reference) == ["NV-001", "NV-002"]
    shown = client.get(stored.headers["location"]).text
    assert "2 cases are added to the sample." in shown
    # The chair reads the sample; only a coordinator may take a case out or replace one.
    assert "Only a coordinator can take a case out" in shown and "/remove" not in shown

    again = client.post(f"/audits/{reference}/do/sample-confirm", data=form)
    assert again.status_code == 400
    assert "has already sampled NV-001, NV-002" in html.unescape(again.text)
    assert "Is already in the audit&#39;s sample" in again.text
    assert 'name="cases"' not in again.text  # nothing left to confirm
    assert sampled(people, reference) == ["NV-001", "NV-002"]


def test_a_file_with_bad_rows_is_refused_row_by_row(people: Deps, client: TestClient) -> None:
    reference = planned(people)
    sign_in(client, email("coordinator"))
    text = HEADER + "NV-001,police,,2026-01-05\nJane Doe,police,,2026-01-05\nNV-3,csc,1/2/26,\n"
    refused = upload(client, reference, text)
    assert refused.status_code == 400
    said = html.unescape(refused.text)
    assert "The file has 2 problems, listed below; nothing was stored." in said
    assert error_beside(refused.text, "file").startswith("The file has 2 problems")
    problems = re.findall(r'<tr><td class="number">(\d+)</td><td>([^<]+)</td></tr>', said)
    assert problems == [
        ("3", "The reference looks like a name; give the case system's pseudonymous code."),
        ("4", "Dates are written YYYY-MM-DD, such as 2026-01-31."),
    ]
    assert "Jane Doe" not in refused.text  # no cell is repeated
    assert sampled(people, reference) == []


def test_unreadable_missing_and_oversized_files(people: Deps, client: TestClient) -> None:
    reference = planned(people)
    sign_in(client, email("chair"))
    nothing = upload(client, reference, b"")
    assert nothing.status_code == 400
    assert error_beside(nothing.text, "file") == "Choose the cases file (CSV) to upload."
    binary = upload(client, reference, b"PK\x03\x04\x00\x00binary")
    assert binary.status_code == 400
    assert "The file is not a text file" in error_beside(binary.text, "file")
    huge = upload(client, reference, HEADER + "x" * UPLOAD_BYTES)
    assert huge.status_code == 413
    assert error_beside(huge.text, "file").startswith("The file is larger than 2 MB")
    form = {**confirm_form(upload(client, reference, GOOD).text), "cases": "not base64!"}
    tampered = client.post(f"/audits/{reference}/do/sample-confirm", data=form)
    assert tampered.status_code == 400 and "could not be read back" in tampered.text


def test_cases_that_cannot_be_stored_are_named_and_nothing_is_offered(
    people: Deps, client: TestClient
) -> None:
    reference = planned(people)
    sign_in(client, email("chair"))
    check = upload(client, reference, HEADER + "NV-001,police;ambulance,,2026-01-05\n")
    assert check.status_code == 400
    assert "Names agencies the directory does not hold: ambulance" in check.text
    assert "1 case cannot be added" in check.text and 'name="cases"' not in check.text


def test_the_coordinator_removes_and_replaces_a_case(people: Deps, client: TestClient) -> None:
    reference = planned(people)
    sign_in(client, email("coordinator"))
    client.post(
        f"/audits/{reference}/do/sample-confirm",
        data=confirm_form(upload(client, reference, GOOD).text),
    )
    page = client.get(f"/audits/{reference}/sample").text
    assert f"/audits/{reference}/sample/cases/NV-002/remove" in page

    remove = client.get(f"/audits/{reference}/sample/cases/NV-002/remove")
    assert remove.status_code == 200 and "Take case NV-002 out of the sample" in remove.text
    form = {"csrf_token": csrf_of(remove.text), "case": "NV-002", "reason": " "}
    blank = client.post(f"/audits/{reference}/do/sample-remove", data=form)
    assert blank.status_code == 400
    assert (
        error_beside(blank.text, "reason") == "Say why the case is being taken out of the sample."
    )

    replace = client.get(f"/audits/{reference}/sample/cases/NV-002/replace")
    typed = {
        "csrf_token": csrf_of(replace.text),
        "case": "NV-002",
        "reference": "Jane Doe",
        "agencies": "csc",
        "first": "",
        "last": "2026-02-01",
        "reason": "No intervention in the window",
    }
    refused = client.post(f"/audits/{reference}/do/sample-replace", data=typed)
    assert refused.status_code == 400
    assert error_beside(refused.text, "reference").startswith("The reference looks like a name")
    assert (
        'value="2026-02-01"' in refused.text
        and "No intervention in the window</textarea>" in refused.text
    )
    done = client.post(
        f"/audits/{reference}/do/sample-replace",
        data={**typed, "csrf_token": csrf_of(refused.text), "reference": "NV-010"},
        follow_redirects=False,
    )
    assert done.status_code == 303, html.unescape(done.text)
    assert done.headers["location"] == f"/audits/{reference}/sample?done=replaced"
    assert sampled(people, reference) == ["NV-001", "NV-010"]

    form = {**form, "csrf_token": csrf_of(blank.text), "case": "NV-010"}
    form["reason"] = "The family moved away"
    gone = client.post(f"/audits/{reference}/do/sample-remove", data=form, follow_redirects=False)
    assert gone.headers["location"] == f"/audits/{reference}/sample?done=removed"
    replayed = client.post(f"/audits/{reference}/do/sample-remove", data=form)
    assert replayed.status_code == 400 and "That case is no longer in the sample." in replayed.text
    assert sampled(people, reference) == ["NV-001"]


@pytest.mark.parametrize("who", ["auditor.one", "lhm"])
def test_nobody_else_reads_or_changes_the_sample(
    people: Deps, client: TestClient, who: str
) -> None:
    reference = planned(people)
    give_passwords(people, PASSWORD, people=(who,))
    sign_in(client, email("chair"))
    token = csrf_of(client.get(f"/audits/{reference}/sample").text)
    sign_in(client, email(who))
    assert client.get(f"/audits/{reference}/sample").status_code == 403
    posted = client.post(
        f"/audits/{reference}/do/sample-check",
        data={"csrf_token": token},
        files={"file": ("cases.csv", GOOD, "text/csv")},
    )
    assert posted.status_code == 403
    assert sampled(people, reference) == []


def test_the_chair_may_not_take_a_case_out(people: Deps, client: TestClient) -> None:
    reference = planned(people)
    sign_in(client, email("coordinator"))
    client.post(
        f"/audits/{reference}/do/sample-confirm",
        data=confirm_form(upload(client, reference, GOOD).text),
    )
    token = csrf_of(client.get(f"/audits/{reference}/sample/cases/NV-002/remove").text)
    sign_in(client, email("chair"))
    assert client.get(f"/audits/{reference}/sample/cases/NV-002/remove").status_code == 403
    form = {"csrf_token": token, "case": "NV-002", "reason": "Mine to decide"}
    assert client.post(f"/audits/{reference}/do/sample-remove", data=form).status_code == 403
    assert sampled(people, reference) == ["NV-001", "NV-002"]
