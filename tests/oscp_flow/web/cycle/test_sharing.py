"""The sharing page (issue 17, item 7): once the report is signed off, the chair or a
coordinator makes its products, reads each as frozen (HTML and PDF), sends a Section 175's
letters to every setting, and records each item the type must share by a declared channel on
a day no later than today; a refusal is the engine's sentence beside that item's form, what
was chosen kept. A learning hub member who is not the chair is refused (403); no one signed
out gets in."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select

from states.clock import LONDON
from states.persistence import tables as t
from states.services import shared_items
from states.services.deps import Deps
from tests.oscp_flow.web.support import csrf_of, post_from
from tests.support.driver import drive
from tests.support.partnership import email, give_passwords
from tests.support.reporting import s175_with_letters
from tests.support.web import PASSWORD, sign_in


@pytest.fixture
def reference(partnership: Deps) -> str:
    """A MACE signed off (its actions being agreed), nothing made or shared yet."""
    give_passwords(partnership, PASSWORD, people=("coordinator", "chair", "lhm"))
    return drive(partnership, "mace", "actions_agreed").reference


def _page(client: TestClient, reference: str) -> Response:
    return client.get(f"/audits/{reference}/sharing")


def _post(client: TestClient, reference: str, verb: str, form: dict[str, str]) -> Response:
    audit = f"/audits/{reference}"
    return post_from(client, f"{audit}/sharing", f"{audit}/do/{verb}", form)


def _text(response: Response) -> str:
    return " ".join(html.unescape(response.text).split())


def _today(deps: Deps) -> str:
    return deps.clock.now().astimezone(LONDON).date().isoformat()


def _outbox(deps: Deps) -> int:
    with deps.uow(readonly=True) as uow:
        return int(uow.connection.execute(select(func.count()).select_from(t.outbox)).scalar_one())


def test_signed_out_is_sent_to_sign_in(client: TestClient, reference: str) -> None:
    response = client.get(f"/audits/{reference}/sharing", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next=/audits/{reference}/sharing"


def test_a_learning_hub_member_who_is_not_the_chair_is_refused(
    client: TestClient, reference: str
) -> None:
    sign_in(client, email("chair"))
    token = csrf_of(_page(client, reference).text)
    sign_in(client, email("lhm"))
    assert _page(client, reference).status_code == 403
    assert client.get(f"/audits/{reference}/sharing/briefing").status_code == 403
    for verb in ("make-products", "send-letters", "shared"):
        posted = client.post(
            f"/audits/{reference}/do/{verb}",
            data={"csrf_token": token, "item": "website", "channel": "partnership_website"},
            follow_redirects=False,
        )
        assert posted.status_code == 403, verb


def test_before_sign_off_there_is_nothing_to_make(client: TestClient, partnership: Deps) -> None:
    give_passwords(partnership, PASSWORD, people=("coordinator",))
    reference = drive(partnership, "mace", "awaiting_sign_off").reference
    sign_in(client, email("coordinator"))
    page = _page(client, reference)
    assert page.status_code == 200
    text = _text(page)
    assert "there is nothing to make yet" in text
    assert "Make the products" not in text and "Record as shared" not in text
    assert "7-minute briefing" in text  # what it must share, once signed off


def test_products_made_and_previewed(client: TestClient, reference: str) -> None:
    sign_in(client, email("chair"))
    assert "Make the products" in _text(_page(client, reference))
    made = _post(client, reference, "make-products", {})
    assert made.status_code == 303
    assert made.headers["location"] == f"/audits/{reference}/sharing?made=2"
    page = client.get(made.headers["location"])
    text = _text(page)
    assert "2 products made and frozen from version 1" in text
    assert "Make the products" not in text
    assert f'href="/audits/{reference}/sharing/briefing"' in page.text
    assert f'href="/audits/{reference}/sharing/learning-on-a-page"' in page.text
    assert "Send to every setting" not in text  # a MACE writes no letters
    briefing = client.get(f"/audits/{reference}/sharing/briefing")
    assert briefing.status_code == 200
    assert "default-src 'none'" in briefing.headers["content-security-policy"]
    assert "7-minute briefing" in _text(briefing)
    pdf = client.get(f"/audits/{reference}/sharing/learning-on-a-page.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/audits/{reference}/sharing/feedback-letter").status_code == 404
    assert client.get(f"/audits/{reference}/sharing/nothing").status_code == 404


def test_letters_previewed_and_sent_to_every_setting(client: TestClient, partnership: Deps) -> None:
    give_passwords(partnership, PASSWORD, people=("coordinator",))
    reference = s175_with_letters(partnership)
    sign_in(client, email("coordinator"))
    page = _page(client, reference)
    text = _text(page)
    assert "Feedback letter" in text and "Summary to all settings" in text
    start = page.text.index(f"/audits/{reference}/sharing/feedback-letter?setting=")
    letter = client.get(html.unescape(page.text[start : page.text.index('"', start)]))
    assert letter.status_code == 200
    assert "feedback" in _text(letter).lower()
    before = _outbox(partnership)
    sent = _post(client, reference, "send-letters", {})
    assert sent.status_code == 303
    assert "letters=" in sent.headers["location"]
    assert _outbox(partnership) > before
    shown = _text(client.get(sent.headers["location"]))
    assert "sent to" in shown and "The e-mails carry a link, never the findings." in shown
    again = _post(client, reference, "send-letters", {})
    assert "Everything had been sent already" in _text(client.get(again.headers["location"]))


def test_an_item_recorded_as_shared(client: TestClient, partnership: Deps, reference: str) -> None:
    sign_in(client, email("coordinator"))
    page = _text(_page(client, reference))
    assert f'value="{_today(partnership)}"' in page  # the day defaults to today
    form = {"item": "briefing", "channel": "newsletter", "shared_on": _today(partnership)}
    done = _post(client, reference, "shared", form)
    assert done.status_code == 303
    assert done.headers["location"] == f"/audits/{reference}/sharing?recorded=briefing"
    shown = _text(client.get(done.headers["location"]))
    assert "Recorded: 7-minute briefing shared." in shown
    assert "by newsletter (recorded by Kit Farrow)" in shown
    items = shared_items.sharing_of(partnership, audit=reference).items
    assert [r.channel for i in items if i.id == "briefing" for r in i.records] == ["newsletter"]
    again = _post(client, reference, "shared", form)
    assert again.headers["location"] == f"/audits/{reference}/sharing?kept=briefing"


def test_a_day_to_come_is_refused_beside_its_form(
    client: TestClient, partnership: Deps, reference: str
) -> None:
    sign_in(client, email("coordinator"))
    tomorrow = (partnership.clock.now().astimezone(LONDON) + timedelta(days=1)).date()
    form = {"item": "briefing", "channel": "newsletter", "shared_on": tomorrow.isoformat()}
    refused = _post(client, reference, "shared", form)
    assert refused.status_code == 400
    text = _text(refused)
    assert 'id="shared-briefing-error"' in text and 'href="#shared-briefing-error"' in text
    assert "cannot be in the future" in text
    assert f'value="{tomorrow.isoformat()}"' in text
    assert '<option value="newsletter" selected>' in text
    assert not [i for i in shared_items.sharing_of(partnership, audit=reference).items if i.records]


def test_an_undeclared_channel_and_a_bad_day_are_refused(
    client: TestClient, reference: str
) -> None:
    sign_in(client, email("chair"))
    form = {"item": "website", "channel": "newsletter", "shared_on": "2026-01-05"}
    refused = _text(_post(client, reference, "shared", form))
    assert "is shared by 'partnership_website', not by 'newsletter'" in refused
    assert 'id="shared-website-error"' in refused
    bad = _post(client, reference, "shared", {**form, "shared_on": "next week"})
    assert bad.status_code == 400
    text = _text(bad)
    assert 'id="shared-on-website-error"' in text and 'href="#shared-on-website"' in text
    assert "Enter the day it was shared as a date" in text
