"""Immediate-risk concerns from the moderation page's neighbour, ``/audits/REF/concerns``
(issue 17, item 5): an auditor raises one for an agency taking part and is told who was told;
the chair reads each concern's words (every read kept) and records assurance given another
way. Each refusal is the engine's sentence beside its form with what was typed kept; someone
the audit type does not let raise one has no form and is refused if they post one anyway; no
one signed out gets in."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select

from states.persistence import tables as t
from states.services import concerns
from states.services.deps import Deps
from tests.oscp_flow.web.support import csrf_of
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords, person_name
from tests.support.web import PASSWORD, sign_in

CONCERN = "Case C02: the child is staying with an adult the police barred from the home."
ASSURANCE = "By telephone: a strategy discussion was held the same day and the adult left."


@pytest.fixture
def reference(partnership: Deps) -> str:
    return drive(partnership, "mace", "moderation").reference


def _text(response: Response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def _page(client: TestClient, reference: str) -> Response:
    return client.get(f"/audits/{reference}/concerns")


def _post(client: TestClient, reference: str, verb: str, form: Mapping[str, object]) -> Response:
    token = csrf_of(_page(client, reference).text)
    return client.post(
        f"/audits/{reference}/do/{verb}",
        data={"csrf_token": token, **form},
        follow_redirects=False,
    )


def _raised(deps: Deps) -> int:
    with deps.uow(readonly=True) as uow:
        return int(uow.connection.execute(select(func.count()).select_from(t.escalation)).one()[0])


def test_an_auditor_raises_a_concern_and_is_told_who_was_told(
    partnership: Deps, client: TestClient, reference: str
) -> None:
    give_passwords(partnership, PASSWORD, people=("auditor.one",))
    sign_in(client, email("auditor.one"))
    page = _page(client, reference)
    assert page.status_code == 200 and "None raised." in _text(page)
    assert '<option value="police">Northvale Police</option>' in page.text
    assert "confirm_no_recipient" not in page.text  # a coordinator's field only

    no_agency = _post(client, reference, "concern", {"agency": "", "concern": CONCERN})
    assert no_agency.status_code == 400
    assert "Choose the agency the concern is about." in _text(no_agency)
    assert 'href="#agency"' in no_agency.text and CONCERN in no_agency.text
    no_words = _post(client, reference, "concern", {"agency": "police", "concern": " "})
    assert no_words.status_code == 400
    assert "Describe the concern (without naming the child)." in _text(no_words)
    assert 'href="#concern"' in no_words.text
    assert '<option value="police" selected>' in no_words.text
    assert _raised(partnership) == 0

    done = _post(client, reference, "concern", {"agency": "police", "concern": CONCERN})
    assert done.status_code == 303
    assert re.fullmatch(
        rf"/audits/{reference}/concerns\?done=raised&concern=\d+", done.headers["location"]
    )
    after = _text(client.get(done.headers["location"]))
    assert "is raised. Told:" in after
    assert f"{person_name('lsp.police')}, strategic lead at Northvale Police, with a link" in after
    assert CONCERN not in after, "an auditor does not read the concern's words"
    assert "Open" in after


def test_the_chair_reads_it_and_records_assurance_given_another_way(
    partnership: Deps, client: TestClient, reference: str
) -> None:
    deps = partnership
    give_passwords(deps, PASSWORD, people=("chair",))
    raised = concerns.raise_concern(
        deps, audit=reference, actor=email("auditor.one"), agency="csc", concern=CONCERN
    )
    sign_in(client, email("chair"))
    page = _page(client, reference)
    assert CONCERN in _text(page)
    with deps.uow(readonly=True) as uow:
        reads = uow.connection.execute(select(func.count()).select_from(t.concern_read)).one()[0]
    assert reads == 1, "the read is kept"

    empty = _post(client, reference, "assurance", {"concern": raised.id, "assurance": ""})
    assert empty.status_code == 400
    assert "Record the assurance the agency gave." in _text(empty)
    assert f'href="#assurance-{raised.id}"' in empty.text
    done = _post(client, reference, "assurance", {"concern": raised.id, "assurance": ASSURANCE})
    assert done.status_code == 303
    assert done.headers["location"] == (
        f"/audits/{reference}/concerns?done=assured&concern={raised.id}"
    )
    after = _text(client.get(done.headers["location"]))
    assert f"The assurance on concern {raised.id} is recorded" in after
    assert ASSURANCE in after and "Record the assurance" not in after
    again = _post(client, reference, "assurance", {"concern": raised.id, "assurance": "Twice."})
    assert again.status_code == 400 and "Twice." in again.text


def test_someone_the_type_does_not_let_raise_one_has_no_form(
    partnership: Deps, client: TestClient, reference: str
) -> None:
    away = client.get(f"/audits/{reference}/concerns", follow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"] == f"/signin?next=/audits/{reference}/concerns"
    give_passwords(partnership, PASSWORD, people=("chair", "lhm"))
    sign_in(client, email("chair"))
    token = csrf_of(_page(client, reference).text)
    sign_in(client, email("lhm"))
    page = _page(client, reference)
    assert "Only the audit's auditor, chair or coordinator may raise a concern" in _text(page)
    assert "Raise the concern" not in page.text
    refused = client.post(
        f"/audits/{reference}/do/concern",
        data={"csrf_token": token, "agency": "police", "concern": CONCERN},
        follow_redirects=False,
    )
    assert refused.status_code == 400 and "only coordinator or chair or auditor" in refused.text
    assert _raised(partnership) == 0


def test_a_coordinator_may_confirm_raising_one_nobody_can_be_told_of_only_when_so(
    partnership: Deps, client: TestClient, reference: str
) -> None:
    give_passwords(partnership, PASSWORD, people=("coordinator",))
    sign_in(client, email("coordinator"))
    page = _page(client, reference)
    assert 'id="confirm_no_recipient"' in page.text
    why = "The police asked us to raise it with them directly."
    form = {"agency": "police", "concern": CONCERN, "confirm_no_recipient": why}
    refused = _post(client, reference, "concern", form)
    assert refused.status_code == 400
    assert "has people to tell of the concern" in _text(refused)
    assert 'href="#raise"' in refused.text and why in refused.text and CONCERN in refused.text
    assert _raised(partnership) == 0
