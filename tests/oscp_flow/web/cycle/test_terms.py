"""An audit's terms of reference on a page of their own (issue 17 item 1): recorded by the
chair or coordinator (every part, each blank one asked for beside it), agreed by the type's
own trigger (its gate's refusal beside the button), then shown as agreed with who agreed and
when; fixed once planning is over; nobody else's to read or change here."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient

from states.services import audits, queries, terms
from states.services.deps import Deps
from states.services.terms import PARTS
from tests.oscp_flow.web.support import csrf_of
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords, person_name
from tests.support.terms import TERMS, record_terms
from tests.support.web import PASSWORD, sign_in

TYPED = {**TERMS, "tool": "The MACE tool, <em>2026</em> edition"}


@pytest.fixture
def chair(partnership: Deps, client: TestClient) -> Deps:
    """The chair, signed in."""
    give_passwords(partnership, PASSWORD, people=("chair",))
    sign_in(client, email("chair"))
    return partnership


def _mace(deps: Deps, audit_type: str = "mace") -> str:
    return audits.start_audit(
        deps,
        audit_type=audit_type,
        theme="Neglect",
        lead=email("chair"),
        actor=email("coordinator"),
    ).reference


def _error(page: str, field: str) -> str:
    """The message beside ``field``, as read aloud after its hidden "Error: "."""
    beside = page.split(f'id="{field}-error">')[1].split("</p>", maxsplit=1)[0]
    return html.unescape(beside.split("</span>")[1])


def test_signed_out_people_are_sent_to_sign_in(partnership: Deps, client: TestClient) -> None:
    reference = _mace(partnership)
    response = client.get(f"/audits/{reference}/terms", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next=/audits/{reference}/terms"


def test_the_chair_records_the_terms_starting_from_the_audits_own_tool(
    chair: Deps, client: TestClient
) -> None:
    reference = _mace(chair)
    page = client.get(f"/audits/{reference}/terms")
    assert page.status_code == 200
    tool = chair.catalogue.tool("mace")
    assert tool is not None
    assert f'name="tool" rows="3" aria-describedby="tool-hint">{html.escape(tool.title)}' in (
        page.text.replace("&#39;", "'")
    )
    assert "Record the terms" in page.text and "Agree the terms of reference" in page.text
    form = {"csrf_token": csrf_of(page.text), **TYPED}
    saved = client.post(f"/audits/{reference}/do/terms", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/audits/{reference}/terms?saved=1"
    recorded = terms.read_terms(chair, audit=reference)
    assert recorded is not None and recorded.terms.tool == TYPED["tool"]
    shown = client.get(saved.headers["location"]).text
    assert "The terms of reference are saved." in shown
    assert "The MACE tool, &lt;em&gt;2026&lt;/em&gt; edition" in shown
    assert f"Last saved by {person_name('chair')}" in shown


def test_each_blank_part_is_asked_for_and_what_was_typed_is_kept(
    chair: Deps, client: TestClient
) -> None:
    reference = _mace(chair)
    page = client.get(f"/audits/{reference}/terms")
    typed = {**TYPED, "methodology": " ", "timetable": ""}
    form = {"csrf_token": csrf_of(page.text), **typed}
    refused = client.post(f"/audits/{reference}/do/terms", data=form)
    assert refused.status_code == 400
    assert _error(refused.text, "methodology") == "Enter the methodology."
    assert _error(refused.text, "timetable") == "Enter the timetable."
    assert '<a href="#methodology">Enter the methodology.</a>' in refused.text
    assert html.escape(TYPED["scope"], quote=False) in refused.text.replace("&#39;", "'")
    assert "The MACE tool, &lt;em&gt;2026&lt;/em&gt; edition" in refused.text
    assert terms.read_terms(chair, audit=reference) is None


def test_agreeing_before_the_terms_are_recorded_is_refused_beside_the_button(
    chair: Deps, client: TestClient
) -> None:
    reference = _mace(chair)
    page = client.get(f"/audits/{reference}/terms")
    form = {"csrf_token": csrf_of(page.text), "version": "1"}
    refused = client.post(f"/audits/{reference}/do/agree-terms", data=form)
    assert refused.status_code == 400
    said = _error(refused.text, "agree")
    assert said.startswith(f"Audit {reference} cannot 'agree_terms_of_reference' yet")
    assert "terms_recorded" in said
    assert '<a href="#agree">' in refused.text
    assert queries.history(chair, audit=reference)[-1].to_state == "planning"


def test_the_chair_agrees_the_terms_and_the_page_then_shows_them_as_agreed(
    chair: Deps, client: TestClient
) -> None:
    reference = _mace(chair)
    record_terms(chair, reference)
    page = client.get(f"/audits/{reference}/terms")
    version = queries.audit_status(chair, audit=reference, as_person=email("chair")).version
    form = {"csrf_token": csrf_of(page.text), "version": str(version)}
    agreed = client.post(f"/audits/{reference}/do/agree-terms", data=form, follow_redirects=False)
    assert agreed.status_code == 303
    assert agreed.headers["location"] == f"/audits/{reference}/terms?agreed=1"
    assert queries.history(chair, audit=reference)[-1].to_state == "terms_of_reference_agreed"
    shown = client.get(agreed.headers["location"]).text
    assert "The terms of reference are agreed." in shown
    assert f"Agreed by {person_name('chair')} at 9:30am on" in shown
    assert "The terms as agreed" in shown and "Agree the terms of reference</button>" not in shown
    # Still planning: the agreed terms may change, behind a disclosure of their own.
    assert "<summary" in shown and "Save the changed terms" in shown
    assert f'href="/audits/{reference}"' in shown


def test_terms_changed_since_the_page_was_read_are_not_agreed(
    chair: Deps, client: TestClient
) -> None:
    reference = _mace(chair)
    record_terms(chair, reference)
    page = client.get(f"/audits/{reference}/terms")
    version = queries.audit_status(chair, audit=reference, as_person=email("chair")).version
    terms.record_terms(chair, audit=reference, actor=email("coordinator"), scope="Changed")
    form = {"csrf_token": csrf_of(page.text), "version": str(version)}
    refused = client.post(f"/audits/{reference}/do/agree-terms", data=form)
    assert refused.status_code == 400
    assert "was changed by someone else" in _error(refused.text, "agree")
    assert ">Changed</textarea>" in refused.text  # the terms as they now are
    assert queries.history(chair, audit=reference)[-1].to_state == "planning"


def test_once_planning_is_over_the_terms_are_only_shown(chair: Deps, client: TestClient) -> None:
    reference = drive(chair, "mace", "returns_open").reference
    page = client.get(f"/audits/{reference}/terms")
    assert page.status_code == 200
    assert "The terms as agreed" in page.text
    assert '<form method="post" action="/audits/' not in page.text
    for part in PARTS.values():
        assert f"<dt>{part}</dt>" in page.text


def test_a_type_without_agreement_records_its_terms_with_no_agree_button(
    chair: Deps, client: TestClient
) -> None:
    reference = _mace(chair, "dip_sample")
    page = client.get(f"/audits/{reference}/terms")
    assert "Save the terms of reference" in page.text
    assert "do/agree-terms" not in page.text


def test_nobody_but_the_chair_and_coordinators_reads_or_changes_the_terms_here(
    partnership: Deps, client: TestClient
) -> None:
    reference = _mace(partnership)
    give_passwords(partnership, PASSWORD, people=("chair", "lhm"))
    sign_in(client, email("chair"))
    page = client.get(f"/audits/{reference}/terms")  # the chair's form cookies stay held
    sign_in(client, email("lhm"))
    refused = client.get(f"/audits/{reference}/terms")
    assert refused.status_code == 403
    assert "only the chair or coordinator may record or agree its terms" in refused.text
    form = {"csrf_token": csrf_of(page.text), **TYPED}
    assert client.post(f"/audits/{reference}/do/terms", data=form).status_code == 403
    agree = {"csrf_token": csrf_of(page.text), "version": "1"}
    assert client.post(f"/audits/{reference}/do/agree-terms", data=agree).status_code == 403
    assert terms.read_terms(partnership, audit=reference) is None
