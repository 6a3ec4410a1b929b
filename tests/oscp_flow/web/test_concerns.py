"""An immediate-risk concern read by those who must and nobody else (issue 16, item 7).

The chair and coordinators read the concern and the agency's assurance on the audit page,
with who at the agency read it; a learning hub member who is not the chair signs in to the
same page and reads neither. The sentinel test follows one concern through its whole flow
(raised, e-mailed through a real SMTP server, read and answered behind the strategic lead's
link, read by the chair) with a distinctive text planted in it: the text is on the concern's
own page and the audit page, and in no e-mail, no log line and no other page of the flow."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient

from notifications.relay import relay
from states.services import concerns, queries
from states.services.deps import Deps
from tests.oscp_flow.web.support import BASE, csrf_of, return_link
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords, person_name
from tests.support.relay import CONFIG
from tests.support.smtp import Recorder, mailer, smtp_server
from tests.support.web import PASSWORD, sign_in

SENTINEL = "Xylophant-Quorrel 88231"
CONCERN = f"{SENTINEL}: the child was left with an adult the police had barred from the home"
ASSURANCE = "Strategy discussion held the next morning; the adult was removed from the home."
ACT = re.compile(r"/act/([A-Za-z0-9_-]{43})")


@pytest.fixture
def people(partnership: Deps) -> Deps:
    give_passwords(partnership, PASSWORD, ("coordinator", "chair", "lhm"))
    return partnership


def _mail(deps: Deps) -> list[str]:
    """Every e-mail the relay sends now, whole (headers, text and HTML), as received."""
    recorder = Recorder()
    config = type(CONFIG)(base_url=BASE)
    with smtp_server(recorder) as port:
        relay(deps, mailer(port), config=config, batch=500)
    return [message.as_string() for message in recorder.received]


def _link_of(mail: list[str], address: str) -> str:
    (found,) = [ACT.search(m) for m in mail if f"<{address}>" in m and "Immediate-risk" in m]
    assert found is not None
    return f"/act/{found[1]}"


def test_the_chair_and_coordinators_read_both_on_the_audit_page_and_nobody_else(
    people: Deps, client: TestClient
) -> None:
    reference = drive(people, "mace", "returns_open").reference
    concerns.raise_concern(
        people, audit=reference, actor=email("chair"), agency="police", concern=CONCERN
    )
    link = _link_of(_mail(people), email("lsp.police"))
    form = {"csrf_token": csrf_of(client.get(link).text), "purpose": "assurance"}
    assert client.post(link, data={**form, "assurance": ASSURANCE}).status_code == 200

    for local in ("chair", "coordinator"):
        sign_in(client, email(local))
        page = client.get(f"/audits/{reference}").text
        assert CONCERN in page and ASSURANCE in page
        assert "Assurance from Northvale Police" in page
        assert f"Read by the agency through its link: {person_name('lsp.police')} on" in page
    sign_in(client, email("lhm"))
    other = client.get(f"/audits/{reference}")
    assert other.status_code == 200
    assert SENTINEL not in other.text and ASSURANCE not in other.text
    assert "shown only to the audit's chair and the coordinators" in other.text


def test_a_planted_concern_reaches_only_its_own_page_and_the_audit_page(
    people: Deps, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    deps = people
    reference, return_token = return_link(deps, "mace")
    raised = concerns.raise_concern(
        deps, audit=reference, actor=email("auditor.two"), agency="police", concern=CONCERN
    )
    mail = _mail(deps)
    link = _link_of(mail, email("lsp.police"))
    elsewhere: dict[str, str] = {}

    # The concern's own page, as often as it is opened: the only agency page carrying it.
    own = client.get(link).text
    assert CONCERN in own
    form = {"csrf_token": csrf_of(own), "purpose": "assurance"}
    refused = client.post(link, data={**form, "assurance": " "})
    assert refused.status_code == 400 and CONCERN in refused.text
    elsewhere["assurance recorded"] = client.post(link, data={**form, "assurance": ASSURANCE}).text
    elsewhere["the used link"] = client.get(link).text
    elsewhere["the police's return link"] = client.get(f"/act/{return_token}").text
    mail += _mail(deps)
    assert len(mail) >= 5, "the concern's e-mails and the assurance's were all checked"

    sign_in(client, email("chair"))
    assert CONCERN in client.get(f"/audits/{reference}").text
    for path in ("/board", "/themes", "/account/password", "/signin"):
        elsewhere[path] = client.get(path).text
    sign_in(client, email("coordinator"))
    for path in ("/people", "/directory", "/directory/log"):
        elsewhere[path] = client.get(path).text
    sign_in(client, email("lhm"))
    elsewhere["the audit page, to a member who is not the chair"] = client.get(
        f"/audits/{reference}"
    ).text

    for where, text in elsewhere.items():
        assert SENTINEL not in text, where
    for message in mail:
        assert SENTINEL not in message and "barred" not in message
    for event in queries.history(deps, audit=reference):
        assert SENTINEL not in (event.reason or "")
    logged = [r.getMessage() for r in caplog.get_records("call")]
    assert any(f"read concern {raised.id}" in line for line in logged), "each read is logged"
    assert not [line for line in logged if SENTINEL in line or "barred" in line]
